"""Spring-mass model of the ground reaction force (GRF) of one foot in running.

The runner is a point mass bouncing on a massless linear leg spring
(Blickhan 1989; McMahon & Cheng 1990).  This module gives the GRF on the
stance foot over one contact, for trials that have kinematics (so speed,
contact time and step time are known) but no force-plate data.

Model
-----
Vertical force: the sine-wave form of the spring-mass model (Morin et al.
2005), with ``s = t / t_c`` the fraction of contact::

    F_y(t) = F_peak * sin(pi * s),    0 <= t <= t_c,    F_y = 0 otherwise
    F_peak = (pi / 2) * T_step / t_c                    [body weights]

``F_peak`` follows from the step impulse balance: over one step (one contact
plus one flight) the mean vertical force is body weight, so
``integral F_y dt = 2 F_peak t_c / pi = 1 BW * T_step``.

Fore-aft force: in the spring-mass model the leg force acts along the leg,
from the contact point to the centre of mass (COM).  With the COM moving
forward at the mean running speed ``u`` over a contact point it passes at
mid-stance, and the COM height above the contact point taken at its
touchdown value ``h0``::

    F_x(t) = F_y(t) * u * (t - t_c / 2) / h0,    h0 = sqrt(L0**2 - (u * t_c / 2)**2)

``F_x`` is negative (braking) in the first half of contact and positive
(propulsion) in the second half; being antisymmetric about mid-stance it
integrates to zero over the contact (no net change of running speed).
Holding the COM height at ``h0`` neglects its lowering during contact (by
``dy_c`` at mid-stance), which underestimates ``|F_x|`` by up to about
``dy_c / h0`` (a few per cent).  The mediolateral force is zero.

Times are in seconds, measured from touchdown of the foot; forces are in body
weights (1 BW = body mass * 9.81 m/s^2), so body mass only enters the
stiffnesses returned by :func:`spring_mass_parameters`.  A step is half a
stride (symmetric gait): ``T_step = t_c + t_flight = T_stride / 2``.

References
----------
Blickhan R (1989). The spring-mass model for running and hopping.
J Biomech 22(11-12):1217-1227. doi:10.1016/0021-9290(89)90224-8
McMahon TA, Cheng GC (1990). The mechanics of running: how does stiffness
couple with speed? J Biomech 23 Suppl 1:65-78. doi:10.1016/0021-9290(90)90042-2
Morin JB, Dalleau G, Kyrolainen H, Jeannin T, Belli A (2005). A simple method
for measuring stiffness during running. J Appl Biomech 21(2):167-180.
doi:10.1123/jab.21.2.167
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

__all__ = [
    "GRAVITY",
    "StepTiming",
    "SpringMassParameters",
    "step_timing",
    "spring_mass_parameters",
    "vertical_grf",
    "fore_aft_grf",
    "stance_grf",
]

GRAVITY = 9.81
"""Gravitational acceleration used to define one body weight [m/s^2]."""


class StepTiming(NamedTuple):
    """Contact and step durations of one running step.

    Attributes
    ----------
    contact_time : float
        Ground contact time of one foot, ``t_c`` [s].
    step_time : float
        Step time, contact plus flight, ``T_step`` [s] (half a stride).
    """

    contact_time: float
    step_time: float

    @property
    def flight_time(self) -> float:
        """Aerial time between two contacts, ``T_step - t_c`` [s]."""
        return self.step_time - self.contact_time


class SpringMassParameters(NamedTuple):
    """Spring-mass quantities of one step (Morin et al. 2005, sine-wave method).

    Attributes
    ----------
    peak_force_bw : float
        Peak vertical force ``F_peak`` [BW].
    peak_force_n : float
        Peak vertical force [N].
    com_displacement : float
        Downward COM displacement from touchdown to mid-stance, ``dy_c`` [m].
    leg_compression : float
        Peak leg-spring compression, ``dL`` [m].
    vertical_stiffness : float
        ``k_vert = F_peak / dy_c`` [N/m].
    leg_stiffness : float
        ``k_leg = F_peak / dL`` [N/m].
    touchdown_angle : float
        Leg angle from the vertical at touchdown, ``asin(u t_c / (2 L0))`` [deg].
    """

    peak_force_bw: float
    peak_force_n: float
    com_displacement: float
    leg_compression: float
    vertical_stiffness: float
    leg_stiffness: float
    touchdown_angle: float


def _positive(name: str, value: float) -> float:
    """Return ``value`` as a float; raise ValueError unless finite and > 0."""
    value = float(value)
    if not math.isfinite(value) or value <= 0.0:
        raise ValueError(f"{name} must be a finite positive number, got {value!r}")
    return value


def step_timing(
    contact_time: float,
    *,
    step_time: float | None = None,
    flight_time: float | None = None,
    stride_time: float | None = None,
) -> StepTiming:
    """Check and combine the timing of a running step.

    Give the contact time and exactly one of step, flight or stride time.

    Parameters
    ----------
    contact_time : float
        Ground contact time of one foot [s], > 0.
    step_time : float, optional
        Contact plus flight time [s].
    flight_time : float, optional
        Aerial time between two contacts [s], > 0 (running has a flight phase).
    stride_time : float, optional
        Time between two touchdowns of the same foot [s]; ``T_step = T_stride / 2``.

    Returns
    -------
    StepTiming
        ``(contact_time, step_time)`` [s].

    Raises
    ------
    ValueError
        If a value is not finite and positive, if not exactly one of
        ``step_time``, ``flight_time``, ``stride_time`` is given, or if the
        contact time is not shorter than the step time.
    """
    contact_time = _positive("contact_time", contact_time)
    given = {
        name: value
        for name, value in (
            ("step_time", step_time),
            ("flight_time", flight_time),
            ("stride_time", stride_time),
        )
        if value is not None
    }
    if len(given) != 1:
        raise ValueError(
            "give exactly one of step_time, flight_time, stride_time; "
            f"got {sorted(given) or 'none'}"
        )
    (name, value), = given.items()
    value = _positive(name, value)
    if name == "flight_time":
        step = contact_time + value
    elif name == "stride_time":
        step = 0.5 * value
    else:
        step = value
    if contact_time >= step:
        raise ValueError(
            f"contact time ({contact_time:g} s) must be shorter than the step time "
            f"({step:g} s): the spring-mass model needs a flight phase"
        )
    return StepTiming(contact_time, step)


def _touchdown_geometry(speed: float, contact_time: float, leg_length: float) -> float:
    """Half the horizontal COM travel during contact, ``u t_c / 2`` [m], checked against ``L0``."""
    half_sweep = 0.5 * speed * contact_time
    if half_sweep >= leg_length:
        raise ValueError(
            f"leg_length ({leg_length:g} m) must exceed half the distance travelled "
            f"during contact (speed * contact_time / 2 = {half_sweep:g} m)"
        )
    return half_sweep


def spring_mass_parameters(
    speed: float,
    contact_time: float,
    body_mass: float,
    leg_length: float,
    *,
    step_time: float | None = None,
    flight_time: float | None = None,
    stride_time: float | None = None,
) -> SpringMassParameters:
    """Peak force, COM displacement and stiffnesses of the spring-mass step.

    Sine-wave method of Morin et al. (2005)::

        F_peak = m g (pi / 2) (t_f / t_c + 1)
        dy_c   = F_peak t_c**2 / (m pi**2) - g t_c**2 / 8
        dL     = L0 - sqrt(L0**2 - (u t_c / 2)**2) + dy_c
        k_vert = F_peak / dy_c,    k_leg = F_peak / dL

    Parameters
    ----------
    speed : float
        Mean forward running speed ``u`` [m/s], > 0.
    contact_time : float
        Contact time ``t_c`` [s], shorter than the step time.
    body_mass : float
        Body mass ``m`` [kg], > 0.
    leg_length : float
        Leg-spring rest length ``L0`` (standing hip height) [m], larger than ``u t_c / 2``.
    step_time, flight_time, stride_time : float, optional
        Exactly one of them [s]; see :func:`step_timing`.

    Returns
    -------
    SpringMassParameters

    Raises
    ------
    ValueError
        On non-positive or non-finite inputs, inconsistent timing (see
        :func:`step_timing`), or a leg too short to span the contact.
    """
    timing = step_timing(
        contact_time, step_time=step_time, flight_time=flight_time, stride_time=stride_time
    )
    speed = _positive("speed", speed)
    body_mass = _positive("body_mass", body_mass)
    leg_length = _positive("leg_length", leg_length)
    half_sweep = _touchdown_geometry(speed, timing.contact_time, leg_length)
    t_c = timing.contact_time
    peak_n = body_mass * GRAVITY * 0.5 * math.pi * timing.step_time / t_c
    com_drop = peak_n * t_c**2 / (body_mass * math.pi**2) - GRAVITY * t_c**2 / 8.0
    compression = leg_length - math.sqrt(leg_length**2 - half_sweep**2) + com_drop
    return SpringMassParameters(
        peak_force_bw=peak_n / (body_mass * GRAVITY),
        peak_force_n=peak_n,
        com_displacement=com_drop,
        leg_compression=compression,
        vertical_stiffness=peak_n / com_drop,
        leg_stiffness=peak_n / compression,
        touchdown_angle=math.degrees(math.asin(half_sweep / leg_length)),
    )


def _time_grid(t: np.ndarray) -> np.ndarray:
    """Return ``t`` as a float array; raise ValueError if it has non-finite values."""
    t = np.asarray(t, dtype=float)
    if not np.all(np.isfinite(t)):
        raise ValueError("time grid t must contain only finite values")
    return t


def vertical_grf(
    t: np.ndarray,
    contact_time: float,
    *,
    step_time: float | None = None,
    flight_time: float | None = None,
    stride_time: float | None = None,
) -> np.ndarray:
    """Vertical GRF of the spring-mass model over one contact.

    ``F_y(t) = (pi/2) (T_step/t_c) sin(pi t / t_c)`` for ``0 <= t <= t_c``, else 0,
    so that the impulse over a step is 1 BW times the step time.

    Parameters
    ----------
    t : array_like, shape (n,) (any shape is accepted)
        Time since touchdown [s].
    contact_time : float
        Contact time ``t_c`` [s].
    step_time, flight_time, stride_time : float, optional
        Exactly one of them [s]; see :func:`step_timing`.

    Returns
    -------
    numpy.ndarray, same shape as ``t``
        Vertical force of the ground on the foot [BW], >= 0.

    Raises
    ------
    ValueError
        On invalid timing (see :func:`step_timing`) or non-finite ``t``.
    """
    timing = step_timing(
        contact_time, step_time=step_time, flight_time=flight_time, stride_time=stride_time
    )
    t = _time_grid(t)
    t_c = timing.contact_time
    peak = 0.5 * math.pi * timing.step_time / t_c
    in_contact = (t >= 0.0) & (t <= t_c)
    return np.where(in_contact, peak * np.sin(np.pi * np.clip(t, 0.0, t_c) / t_c), 0.0)


def fore_aft_grf(
    t: np.ndarray,
    speed: float,
    contact_time: float,
    leg_length: float,
    *,
    step_time: float | None = None,
    flight_time: float | None = None,
    stride_time: float | None = None,
) -> np.ndarray:
    """Fore-aft GRF of the spring-mass model: the leg force directed at the COM.

    ``F_x(t) = F_y(t) u (t - t_c/2) / h0`` with
    ``h0 = sqrt(L0**2 - (u t_c / 2)**2)``; braking (< 0) before mid-stance,
    propulsion (> 0) after; zero net impulse over the contact.

    Parameters
    ----------
    t : array_like, shape (n,) (any shape is accepted)
        Time since touchdown [s].
    speed : float
        Mean forward running speed ``u`` [m/s], > 0.
    contact_time : float
        Contact time ``t_c`` [s].
    leg_length : float
        Leg-spring rest length ``L0`` [m], larger than ``u t_c / 2``.
    step_time, flight_time, stride_time : float, optional
        Exactly one of them [s]; see :func:`step_timing`.

    Returns
    -------
    numpy.ndarray, same shape as ``t``
        Fore-aft force of the ground on the foot [BW], positive forward.

    Raises
    ------
    ValueError
        On non-positive inputs, invalid timing, non-finite ``t``, or a leg too
        short to span the contact.
    """
    f_y = vertical_grf(
        t, contact_time, step_time=step_time, flight_time=flight_time, stride_time=stride_time
    )
    speed = _positive("speed", speed)
    leg_length = _positive("leg_length", leg_length)
    t_c = float(contact_time)
    half_sweep = _touchdown_geometry(speed, t_c, leg_length)
    height = math.sqrt(leg_length**2 - half_sweep**2)
    return f_y * speed * (np.asarray(t, dtype=float) - 0.5 * t_c) / height


def stance_grf(
    t: np.ndarray,
    speed: float,
    contact_time: float,
    leg_length: float,
    *,
    step_time: float | None = None,
    flight_time: float | None = None,
    stride_time: float | None = None,
) -> np.ndarray:
    """GRF vector of the spring-mass model in ground axes (x forward, y up, z right).

    Parameters
    ----------
    t : array_like, shape (n,)
        Time since touchdown [s]; the force is zero outside ``[0, t_c]``.
    speed : float
        Mean forward running speed [m/s], > 0.
    contact_time : float
        Contact time [s].
    leg_length : float
        Leg-spring rest length [m].
    step_time, flight_time, stride_time : float, optional
        Exactly one of them [s]; see :func:`step_timing`.

    Returns
    -------
    numpy.ndarray, shape (n, 3)
        Force of the ground on the foot [BW]: columns fore-aft
        (:func:`fore_aft_grf`), vertical (:func:`vertical_grf`) and
        mediolateral (zero).

    Raises
    ------
    ValueError
        As :func:`fore_aft_grf`.
    """
    timing = dict(step_time=step_time, flight_time=flight_time, stride_time=stride_time)
    t = _time_grid(np.ravel(t))
    f_x = fore_aft_grf(t, speed, contact_time, leg_length, **timing)
    f_y = vertical_grf(t, contact_time, **timing)
    return np.column_stack([f_x, f_y, np.zeros_like(t)])
