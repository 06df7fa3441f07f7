"""Millard 2012 muscle curves exactly as OpenSim 4.x builds them from their XML properties.

Millard, Uchida, Seth and Delp (2013), "Flexing computational muscle: modeling and simulation of
musculotendon dynamics", J Biomech Eng 135:021005, doi:10.1115/1.4023390. The curves of a
``Millard2012EquilibriumMuscle`` are C2-continuous chains of quintic Bezier "corners" (OpenSim's
``SmoothSegmentedFunction``), extrapolated linearly with their end slopes outside the Bezier
domain. This module re-derives, in numpy, what OpenSim 4.x (opensim-core, Apache-2.0) does in

* ``SegmentedQuinticBezierToolkit::calcQuinticBezierCornerControlPoints`` -> :func:`corner`,
* ``SmoothSegmentedFunctionFactory::scaleCurviness`` -> :func:`scale_curviness`,
* ``SmoothSegmentedFunctionFactory::createFiberActiveForceLengthCurve``,
  ``createFiberForceVelocityCurve``, ``createFiberForceLengthCurve`` and
  ``createTendonForceLengthCurve`` -> :func:`active_force_length_curve`,
  :func:`force_velocity_curve`, :func:`fiber_force_length_curve`,
  :func:`tendon_force_length_curve`,
* ``SmoothSegmentedFunction::calcValue`` (find the section, solve x(u) = x for the Bezier
  parameter u, return y(u); linear outside [x0, x1]) -> :meth:`SmoothSegmentedCurve.__call__`,
* the property defaults of ``ActiveForceLengthCurve``, ``ForceVelocityCurve``,
  ``FiberForceLengthCurve`` and ``TendonForceLengthCurve`` (OpenSim/Actuators/*.cpp) ->
  :data:`CURVE_PROPERTIES`, and the values ``FiberForceLengthCurve`` and
  ``TendonForceLengthCurve`` compute when their optional properties are empty.

For speed, :class:`MillardCurves` tabulates each muscle's four curves once (at model load):
exact values and slopes on a uniform grid of their Bezier domain, cubic Hermite interpolation
between samples (a numba kernel); outside the domain it extrapolates with OpenSim's end slopes,
so only the interpolation inside differs from OpenSim (< 1e-6 of the normalised force with
:data:`N_SAMPLES`, see ``tests/test_muscles_millard.py``).
:meth:`MillardCurves.passive_equilibrium` solves the relaxed muscle's fibre-tendon equilibrium
(the passive force with an elastic tendon) on these tables.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ._numba import njit

#: The properties of each curve (XML child of the muscle) in OpenSim 4.x, with OpenSim's
#: defaults (``constructProperties``); ``None`` marks the optional properties of
#: FiberForceLengthCurve and TendonForceLengthCurve, which OpenSim computes when all three are
#: empty (see :func:`fiber_force_length_curve`, :func:`tendon_force_length_curve`).
CURVE_PROPERTIES = {
    "ActiveForceLengthCurve": dict(
        min_norm_active_fiber_length=0.47 - 0.0259, transition_norm_fiber_length=0.73,
        max_norm_active_fiber_length=1.8123, shallow_ascending_slope=0.8616, minimum_value=0.1),
    "ForceVelocityCurve": dict(
        concentric_slope_at_vmax=0.0, concentric_slope_near_vmax=0.25, isometric_slope=5.0,
        eccentric_slope_at_vmax=0.0, eccentric_slope_near_vmax=0.15,
        max_eccentric_velocity_force_multiplier=1.4, concentric_curviness=0.6,
        eccentric_curviness=0.9),
    "FiberForceLengthCurve": dict(
        strain_at_zero_force=0.0, strain_at_one_norm_force=0.7, stiffness_at_low_force=None,
        stiffness_at_one_norm_force=None, curviness=None),
    "TendonForceLengthCurve": dict(
        strain_at_one_norm_force=0.049, stiffness_at_one_norm_force=None,
        norm_force_at_toe_end=None, curviness=None),
}

#: Samples per curve table; with cubic Hermite interpolation the tables of the Rajagopal models'
#: curves stay within ~2e-9 of the exact curves (tests check < 1e-6 against OpenSim).
N_SAMPLES = 2049

_ROOT_EPS = math.sqrt(np.finfo(float).eps)

#: OpenSim's default ``maximum_pennation_angle`` of a Millard2012EquilibriumMuscle, acos(0.1):
#: with the fibre width h the fibre is never shorter than h / sin of it.
_SIN_MAX_PENNATION = math.sin(math.acos(0.1))

#: Tolerance of :meth:`MillardCurves.passive_equilibrium` on the force balance, in units of
#: max isometric force (OpenSim's computeFiberEquilibrium stops at 1e-8).
PASSIVE_TOLERANCE = 1e-10

# Power-basis coefficients of the quintic Bernstein polynomials: x(u) = sum_i u^i sum_k
# _BERNSTEIN[i, k] P_k with P_k the six control points.
_BERNSTEIN = np.array([[math.comb(5, k) * math.comb(5 - k, i - k) * (-1) ** (i - k) if i >= k else 0
                        for k in range(6)] for i in range(6)], dtype=float)


def scale_curviness(curviness):
    """OpenSim's map of a user curviness in [0, 1] to the corner control-point fraction,
    ``0.1 + 0.8 c`` (SmoothSegmentedFunctionFactory::scaleCurviness)."""
    return 0.1 + 0.8 * curviness


def corner(x0, y0, dydx0, x1, y1, dydx1, c):
    """Control points (x (6,), y (6,)) of one quintic Bezier corner from (x0, y0) with slope
    dydx0 to (x1, y1) with slope dydx1 (SegmentedQuinticBezierToolkit::
    calcQuinticBezierCornerControlPoints).

    The two end tangents meet at the corner point C; the inner control points sit a fraction
    ``c`` (scaled curviness) of the way from each end towards C, doubled, so the section has
    zero curvature at its ends: points ``(P0, P0 + c (C - P0) twice, P1 + c (C - P1) twice, P1)``.

    Raises
    ------
    ValueError
        If the tangents do not form a C-shaped corner (C farther from an end than the ends are
        from each other), as OpenSim does.
    """
    if abs(dydx0 - dydx1) > _ROOT_EPS:
        xc = (y1 - y0 - x1 * dydx1 + x0 * dydx0) / (dydx0 - dydx1)
    else:
        xc = 0.5 * (x1 + x0)
    yc = (xc - x1) * dydx1 + y1
    a = (xc - x0) ** 2 + (yc - y0) ** 2
    b = (xc - x1) ** 2 + (yc - y1) ** 2
    d = (x1 - x0) ** 2 + (y1 - y0) ** 2
    if not (d > a and d > b):
        raise ValueError(f"the end slopes {dydx0:g} at x = {x0:g} and {dydx1:g} at x = {x1:g} do not "
                         "form a C-shaped Bezier corner")
    x0m, y0m = x0 + c * (xc - x0), y0 + c * (yc - y0)
    x1m, y1m = x1 + c * (xc - x1), y1 + c * (yc - y1)
    return np.array([x0, x0m, x0m, x1m, x1m, x1]), np.array([y0, y0m, y0m, y1m, y1m, y1])


# d/du of a power-basis quintic: coefficients (a_1, 2 a_2, ..., 5 a_5) of a quartic.
_DERIVATIVE = np.arange(1.0, 6.0)


def _poly(coef, u):
    """Horner evaluation of power-basis polynomials: coef (..., n) low order first, u (...)."""
    out = coef[..., -1]
    for k in range(coef.shape[-1] - 2, -1, -1):
        out = out * u + coef[..., k]
    return out


@dataclass(frozen=True)
class SmoothSegmentedCurve:
    """One OpenSim SmoothSegmentedFunction: quintic Bezier sections, linear outside.

    Attributes
    ----------
    ctrl_x, ctrl_y : (n_section, 6) float
        Bezier control points of each section, sections in increasing x.
    x0, x1 : float
        Bezier domain; y0, y1 and dydx0, dydx1 are the values and slopes OpenSim extrapolates
        with below x0 and above x1.
    """

    ctrl_x: np.ndarray
    ctrl_y: np.ndarray
    x0: float
    x1: float
    y0: float
    y1: float
    dydx0: float
    dydx1: float

    @classmethod
    def from_corners(cls, corners, y0, y1, dydx0, dydx1):
        """The curve through ``corners`` (a list of :func:`corner` results)."""
        ctrl_x = np.array([c[0] for c in corners])
        ctrl_y = np.array([c[1] for c in corners])
        if np.any(np.diff(ctrl_x, axis=1) < 0.0):
            raise ValueError("the Bezier sections are not monotonic in x")
        return cls(ctrl_x, ctrl_y, float(ctrl_x[0, 0]), float(ctrl_x[-1, 5]), y0, y1, dydx0, dydx1)

    def __call__(self, x):
        """Exact value at ``x`` (any shape), as SmoothSegmentedFunction::calcValue."""
        return self.value_and_slope(x)[0]

    def value_and_slope(self, x):
        """Exact value and slope dy/dx at ``x`` (any shape), as OpenSim's calcValue and
        calcDerivative(x, 1).

        Inside [x0, x1] the section is the one with ``start <= x < end`` (the last one at x1)
        and u solves x(u) = x to machine precision by bisection (x(u) is monotonic: the control
        points are); OpenSim's Newton iteration stops at |x(u) - x| < 100 eps. Outside, the
        line through the end point with the end slope.
        """
        x = np.asarray(x, dtype=float)
        starts = self.ctrl_x[:, 0]
        section = np.clip(np.searchsorted(starts, x, side="right") - 1, 0, len(starts) - 1)
        cx = self.ctrl_x[section] @ _BERNSTEIN.T
        cy = self.ctrl_y[section] @ _BERNSTEIN.T
        lo, hi = np.zeros_like(x), np.ones_like(x)
        for _ in range(60):                                  # 2^-60: below double resolution
            mid = 0.5 * (lo + hi)
            right = _poly(cx, mid) < x
            lo = np.where(right, mid, lo)
            hi = np.where(right, hi, mid)
        u = 0.5 * (lo + hi)
        y = _poly(cy, u)
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = _poly(cy[..., 1:] * _DERIVATIVE, u) / _poly(cx[..., 1:] * _DERIVATIVE, u)
        below, above = x < self.x0, x > self.x1
        y = np.where(below, self.y0 + self.dydx0 * (x - self.x0), y)
        y = np.where(above, self.y1 + self.dydx1 * (x - self.x1), y)
        slope = np.where(below, self.dydx0, np.where(above, self.dydx1, slope))
        return y, slope


def active_force_length_curve(min_norm_active_fiber_length, transition_norm_fiber_length,
                              max_norm_active_fiber_length, shallow_ascending_slope, minimum_value):
    """Active fibre force-length curve f_L(l) of normalised fibre length (OpenSim's
    ActiveForceLengthCurve: createFiberActiveForceLengthCurve with x2 = 1 and curviness 1).

    Five corners: from (x0, ylow) up the steep ascending limb to the shallow plateau of slope
    ``shallow_ascending_slope`` ending at the shoulder x2 - 0.05 x2, the peak (1, 1), and down
    to (x3, ylow); constant ``minimum_value`` outside [x0, x3].
    """
    x0, x1, x2, x3 = (min_norm_active_fiber_length, transition_norm_fiber_length, 1.0,
                      max_norm_active_fiber_length)
    ylow, dydx = minimum_value, shallow_ascending_slope
    if not x0 >= 0.0:
        raise ValueError(f"min_norm_active_fiber_length must be >= 0 (got {x0:g})")
    if not x1 > x0 + _ROOT_EPS:
        raise ValueError(f"transition_norm_fiber_length must be > min_norm_active_fiber_length "
                         f"{x0:g} (got {x1:g})")
    if not x2 > x1 + _ROOT_EPS:
        raise ValueError(f"transition_norm_fiber_length must be < 1 (got {x1:g})")
    if not x3 > x2 + _ROOT_EPS:
        raise ValueError(f"max_norm_active_fiber_length must be > 1 (got {x3:g})")
    if not ylow >= 0.0:
        raise ValueError(f"minimum_value must be >= 0 (got {ylow:g})")
    if not 0.0 <= dydx < (1.0 - ylow) / (x2 - x1):
        raise ValueError(f"shallow_ascending_slope must be >= 0 and < {(1.0 - ylow) / (x2 - x1):g} "
                         f"(got {dydx:g})")
    c = scale_curviness(1.0)
    x_delta = 0.05 * x2                                   # half a sarcomere width, widened
    xs = x2 - x_delta                                     # shoulder
    y1 = 1.0 - dydx * (xs - x1)
    dydx01 = 1.25 * y1 / (x1 - x0)
    x01, y01 = x0 + 0.5 * (x1 - x0), 0.5 * y1
    x1s, y1s = x1 + 0.5 * (xs - x1), y1 + 0.5 * (1.0 - y1)
    x23 = (x2 + x_delta) + 0.5 * (x3 - (x2 + x_delta))
    y23 = 0.5
    dydx23 = -1.0 / ((x3 - x_delta) - (x2 + x_delta))
    corners = [corner(x0, ylow, 0.0, x01, y01, dydx01, c),
               corner(x01, y01, dydx01, x1s, y1s, dydx, c),
               corner(x1s, y1s, dydx, x2, 1.0, 0.0, c),
               corner(x2, 1.0, 0.0, x23, y23, dydx23, c),
               corner(x23, y23, dydx23, x3, ylow, 0.0, c)]
    return SmoothSegmentedCurve.from_corners(corners, ylow, ylow, 0.0, 0.0)


def force_velocity_curve(concentric_slope_at_vmax, concentric_slope_near_vmax, isometric_slope,
                         eccentric_slope_at_vmax, eccentric_slope_near_vmax,
                         max_eccentric_velocity_force_multiplier, concentric_curviness,
                         eccentric_curviness):
    """Force-velocity curve f_V(v) of normalised fibre velocity v (fibre lengthening velocity
    over max_contraction_velocity * optimal_fiber_length; -1 is the maximum shortening
    velocity): OpenSim 4.x's ForceVelocityCurve (createFiberForceVelocityCurve with its
    dydxNearC / dydxNearE arguments).

    Four corners through (-1, 0), (-0.9, near-vmax value), (0, 1), (0.9, ...), (1, fmaxE),
    linear beyond +-1 with the slopes at vmax.
    """
    fmax_e = max_eccentric_velocity_force_multiplier
    dydx_c, dydx_near_c, dydx_iso = concentric_slope_at_vmax, concentric_slope_near_vmax, isometric_slope
    dydx_e, dydx_near_e = eccentric_slope_at_vmax, eccentric_slope_near_vmax
    checks = [
        (fmax_e > 1.0, f"max_eccentric_velocity_force_multiplier must be > 1 (got {fmax_e:g})"),
        (0.0 <= dydx_c < 1.0, f"concentric_slope_at_vmax must be >= 0 and < 1 (got {dydx_c:g})"),
        (dydx_c < dydx_near_c <= 1.0, f"concentric_slope_near_vmax must be > concentric_slope_at_vmax "
                                      f"and <= 1 (got {dydx_near_c:g})"),
        (dydx_iso > 1.0, f"isometric_slope must be > 1 (got {dydx_iso:g})"),
        (0.0 <= dydx_e < fmax_e - 1.0, f"eccentric_slope_at_vmax must be >= 0 and < "
                                       f"max_eccentric_velocity_force_multiplier - 1 (got {dydx_e:g})"),
        (dydx_e <= dydx_near_e < fmax_e - 1.0, f"eccentric_slope_near_vmax must be >= eccentric_slope_at_vmax "
                                               f"and < max_eccentric_velocity_force_multiplier - 1 "
                                               f"(got {dydx_near_e:g})"),
        (0.0 <= concentric_curviness <= 1.0, f"concentric_curviness must be in [0, 1] "
                                             f"(got {concentric_curviness:g})"),
        (0.0 <= eccentric_curviness <= 1.0, f"eccentric_curviness must be in [0, 1] "
                                            f"(got {eccentric_curviness:g})"),
    ]
    for ok, message in checks:
        if not ok:
            raise ValueError(message)
    c_c, c_e = scale_curviness(concentric_curviness), scale_curviness(eccentric_curviness)
    x_near_c, x_near_e = -0.9, 0.9
    y_near_c = 0.5 * (dydx_near_c + dydx_c) * (x_near_c + 1.0)
    y_near_e = fmax_e + 0.5 * (dydx_near_e + dydx_e) * (x_near_e - 1.0)
    corners = [corner(-1.0, 0.0, dydx_c, x_near_c, y_near_c, dydx_near_c, c_c),
               corner(x_near_c, y_near_c, dydx_near_c, 0.0, 1.0, dydx_iso, c_c),
               corner(0.0, 1.0, dydx_iso, x_near_e, y_near_e, dydx_near_e, c_e),
               corner(x_near_e, y_near_e, dydx_near_e, 1.0, fmax_e, dydx_e, c_e)]
    return SmoothSegmentedCurve.from_corners(corners, 0.0, fmax_e, dydx_c, dydx_e)


def fiber_force_length_curve(strain_at_zero_force, strain_at_one_norm_force, stiffness_at_low_force=None,
                             stiffness_at_one_norm_force=None, curviness=None):
    """Passive fibre force-length curve f_PE(l) of normalised fibre length: OpenSim 4.x's
    FiberForceLengthCurve (createFiberForceLengthCurve).

    Zero up to l = 1 + strain_at_zero_force, one at l = 1 + strain_at_one_norm_force, linear
    beyond with ``stiffness_at_one_norm_force``. The three optional properties are either all
    given or all None; when None, OpenSim's defaults are used: stiffness_at_one_norm_force =
    2 / (e1 - e0), stiffness_at_low_force = 0.2, curviness = 0.75
    (FiberForceLengthCurve::ensureCurveUpToDate).
    """
    e0, e1 = strain_at_zero_force, strain_at_one_norm_force
    optional = (stiffness_at_low_force, stiffness_at_one_norm_force, curviness)
    if all(v is None for v in optional):
        k_low, k_iso, curviness = 0.2, 2.0 / (e1 - e0), 0.75
    elif any(v is None for v in optional):
        raise ValueError("stiffness_at_low_force, stiffness_at_one_norm_force and curviness must "
                         "either all be set or all be empty")
    else:
        k_low, k_iso = stiffness_at_low_force, stiffness_at_one_norm_force
    if not e1 > e0:
        raise ValueError(f"strain_at_one_norm_force must be > strain_at_zero_force {e0:g} (got {e1:g})")
    if not k_iso > 1.0 / (e1 - e0):
        raise ValueError(f"stiffness_at_one_norm_force must be > 1 / (strain_at_one_norm_force - "
                         f"strain_at_zero_force) = {1.0 / (e1 - e0):g} (got {k_iso:g})")
    if not 0.0 < k_low < 1.0 / (e1 - e0):
        raise ValueError(f"stiffness_at_low_force must be > 0 and < {1.0 / (e1 - e0):g} (got {k_low:g})")
    if not 0.0 <= curviness <= 1.0:
        raise ValueError(f"curviness must be in [0, 1] (got {curviness:g})")
    c = scale_curviness(curviness)
    x_zero, x_iso = 1.0 + e0, 1.0 + e1
    delta_x = min(0.1 / k_iso, 0.1 * (x_iso - x_zero))
    x_low = x_zero + delta_x
    y_low = k_low * (x_low - (x_zero + 0.5 * delta_x))     # the low-force line meets y = 0 at the foot
    corners = [corner(x_zero, 0.0, 0.0, x_low, y_low, k_low, c),
               corner(x_low, y_low, k_low, x_iso, 1.0, k_iso, c)]
    return SmoothSegmentedCurve.from_corners(corners, 0.0, 1.0, 0.0, k_iso)


def tendon_force_length_curve(strain_at_one_norm_force, stiffness_at_one_norm_force=None,
                              norm_force_at_toe_end=None, curviness=None):
    """Tendon force-length curve f_T(l) of tendon length over tendon slack length: OpenSim 4.x's
    TendonForceLengthCurve (createTendonForceLengthCurve).

    Zero up to l = 1 (slack), a two-corner toe region up to the toe end (l_toe, f_toe), and
    from there the line of slope ``stiffness_at_one_norm_force`` through (1 + e_iso, 1),
    extrapolated beyond. The three optional properties are either all given or all None; when
    None, OpenSim's defaults are used: stiffness_at_one_norm_force = 1.375 / e_iso,
    norm_force_at_toe_end = 2/3, curviness = 0.5 (TendonForceLengthCurve::ensureCurveUpToDate).
    With e_iso = 0.049 (the default) the tendon carries the maximum isometric force at 4.9 %
    strain (Maganaris and Paul 2002).
    """
    e_iso = strain_at_one_norm_force
    if not e_iso > 0.0:
        raise ValueError(f"strain_at_one_norm_force must be > 0 (got {e_iso:g})")
    optional = (stiffness_at_one_norm_force, norm_force_at_toe_end, curviness)
    if all(v is None for v in optional):
        k_iso, f_toe, curviness = 1.375 / e_iso, 2.0 / 3.0, 0.5
    elif any(v is None for v in optional):
        raise ValueError("stiffness_at_one_norm_force, norm_force_at_toe_end and curviness must "
                         "either all be set or all be empty")
    else:
        k_iso, f_toe = stiffness_at_one_norm_force, norm_force_at_toe_end
    if not 0.0 < f_toe < 1.0:
        raise ValueError(f"norm_force_at_toe_end must be > 0 and < 1 (got {f_toe:g})")
    if not k_iso > 1.0 / e_iso:
        raise ValueError(f"stiffness_at_one_norm_force must be > 1 / strain_at_one_norm_force = "
                         f"{1.0 / e_iso:g} (got {k_iso:g})")
    if not 0.0 <= curviness <= 1.0:
        raise ValueError(f"curviness must be in [0, 1] (got {curviness:g})")
    c = scale_curviness(curviness)
    x_iso = 1.0 + e_iso
    x_toe = (f_toe - 1.0) / k_iso + x_iso                 # where the linear region starts
    x_foot = 1.0 + 0.1 * (x_toe - 1.0)                    # where the toe's mean line meets y = 0
    y_mid = 0.5 * f_toe                                   # corner of the mean toe slope and the line
    x_mid = (y_mid - 1.0) / k_iso + x_iso
    dydx_mid = y_mid / (x_mid - x_foot)
    x_ctrl = x_foot + 0.5 * (x_mid - x_foot)
    y_ctrl = dydx_mid * (x_ctrl - x_foot)
    corners = [corner(1.0, 0.0, 0.0, x_ctrl, y_ctrl, dydx_mid, c),
               corner(x_ctrl, y_ctrl, dydx_mid, x_toe, f_toe, k_iso, c)]
    return SmoothSegmentedCurve.from_corners(corners, 0.0, f_toe, 0.0, k_iso)


_BUILDERS = {"ActiveForceLengthCurve": active_force_length_curve,
             "ForceVelocityCurve": force_velocity_curve,
             "FiberForceLengthCurve": fiber_force_length_curve,
             "TendonForceLengthCurve": tendon_force_length_curve}


def build_curve(tag, values):
    """The curve ``tag`` (a key of :data:`CURVE_PROPERTIES`) from a dict of its property values
    (missing keys take OpenSim's defaults). Raises ValueError naming the bad property."""
    return _cached_curve(*_key(tag, values))


def _key(tag, values):
    """Hashable (tag, ((property, value), ...)) of a curve, OpenSim's defaults filled in."""
    return tag, tuple((k, values.get(k, d)) for k, d in CURVE_PROPERTIES[tag].items())


@functools.lru_cache(maxsize=512)
def _cached_curve(tag, items):
    return _BUILDERS[tag](**dict(items))


@functools.lru_cache(maxsize=512)
def _table(curve_key, n):
    """Exact values and slopes of a curve on n uniform samples of its domain, (2, n) (cached
    per curve)."""
    curve = _cached_curve(*curve_key)
    return np.array(curve.value_and_slope(np.linspace(curve.x0, curve.x1, n)))


@dataclass(frozen=True)
class CurveTable:
    """Tabulated curves, one per column: the exact values and slopes at uniform samples of each
    curve's Bezier domain, cubic Hermite interpolation between samples (error of order
    h^4/384 max|d4y/dx4|; C1 like the curve) and OpenSim's linear extrapolation outside.

    Attributes
    ----------
    values, slopes : (n_curve, n_sample) float
        Exact y and dy/dx at ``x0 + k (x1 - x0) / (n_sample - 1)``.
    x0, x1, y0, y1, dydx0, dydx1 : (n_curve,) float
        Domain, and end values and slopes (see :class:`SmoothSegmentedCurve`).
    """

    values: np.ndarray
    slopes: np.ndarray
    x0: np.ndarray
    x1: np.ndarray
    y0: np.ndarray
    y1: np.ndarray
    dydx0: np.ndarray
    dydx1: np.ndarray

    @classmethod
    def of(cls, tag, parameter_sets, n_sample=N_SAMPLES):
        """Tables of curve ``tag`` for a sequence of property dicts (one per column; missing
        properties take OpenSim's defaults)."""
        keys = [_key(tag, p) for p in parameter_sets]
        curves = [_cached_curve(*key) for key in keys]
        ends = {a: np.array([getattr(c, a) for c in curves], float)
                for a in ("x0", "x1", "y0", "y1", "dydx0", "dydx1")}
        table = np.array([_table(key, n_sample) for key in keys]).reshape(len(keys), 2, n_sample)
        return cls(np.ascontiguousarray(table[:, 0]), np.ascontiguousarray(table[:, 1]), **ends)

    def __call__(self, x):
        """Curve values at ``x`` (..., n_curve), column j on curve j; same shape."""
        return self.evaluate(x)[0]

    def evaluate(self, x, slope=False):
        """Curve values at ``x`` (..., n_curve), column j on curve j, and, when ``slope``, the
        slopes dy/dx of the interpolant (else None); same shape."""
        x = np.asarray(x, dtype=float)
        flat = np.ascontiguousarray(x.reshape(-1, x.shape[-1]))
        y, dydx = np.empty_like(flat), np.empty_like(flat)
        _evaluate_tables(*self.arrays, flat, y, dydx)
        return y.reshape(x.shape), (dydx.reshape(x.shape) if slope else None)

    @property
    def arrays(self):
        """``(values, slopes, ends)``: the tables and the (6, n_curve) rows x0, x1, y0, y1,
        dydx0, dydx1, as the numba kernels take them."""
        return self.values, self.slopes, np.array([self.x0, self.x1, self.y0, self.y1, self.dydx0,
                                                   self.dydx1])


@njit
def _hermite(values, slopes, ends, j, x):
    """Value and slope of tabulated curve ``j`` at scalar ``x`` (see :class:`CurveTable`):
    cubic Hermite between the samples, OpenSim's lines outside [x0, x1]; NaN for NaN."""
    x0, x1 = ends[0, j], ends[1, j]
    if x < x0:
        return ends[2, j] + ends[4, j] * (x - x0), ends[4, j]
    if x > x1:
        return ends[3, j] + ends[5, j] * (x - x1), ends[5, j]
    if not x == x:
        return x, x
    n = values.shape[1]
    step = (x1 - x0) / (n - 1)
    t = (x - x0) / step
    i = min(int(t), n - 2)
    t -= i
    ya, yb = values[j, i], values[j, i + 1]
    ma, mb = slopes[j, i] * step, slopes[j, i + 1] * step
    t2 = t * t
    t3 = t2 * t
    y = (2.0 * t3 - 3.0 * t2 + 1.0) * ya + (t3 - 2.0 * t2 + t) * ma + (3.0 * t2 - 2.0 * t3) * yb + (t3 - t2) * mb
    dydx = ((6.0 * t2 - 6.0 * t) * (ya - yb) + (3.0 * t2 - 4.0 * t + 1.0) * ma + (3.0 * t2 - 2.0 * t) * mb) / step
    return y, dydx


@njit
def _evaluate_tables(values, slopes, ends, x, y, dydx):
    """Fill y and dydx (n, n_curve) with the tabulated curves at x (n, n_curve), column j on
    curve j."""
    for f in range(x.shape[0]):
        for j in range(x.shape[1]):
            y[f, j], dydx[f, j] = _hermite(values, slopes, ends, j, x[f, j])


@dataclass(frozen=True)
class MillardCurves:
    """The Millard curves of the Millard2012EquilibriumMuscle muscles of a model.

    Attributes
    ----------
    index : (n_millard,) int
        Column of each Millard muscle in the model's muscle arrays.
    properties : dict
        ``{curve tag: {property: (n_millard,) float}}``, the properties as read, OpenSim's
        defaults filled in (NaN for the optional properties of FiberForceLengthCurve and
        TendonForceLengthCurve when empty: OpenSim then computes them, see
        :func:`fiber_force_length_curve`, :func:`tendon_force_length_curve`).
    active_force_length, force_velocity, fiber_force_length, tendon_force_length : CurveTable
    compliant_tendon : (n_millard,) bool
        False where the muscle has ``ignore_tendon_compliance`` true (rigid tendon).
    """

    index: np.ndarray
    properties: dict
    active_force_length: CurveTable
    force_velocity: CurveTable
    fiber_force_length: CurveTable
    tendon_force_length: CurveTable
    compliant_tendon: np.ndarray

    @classmethod
    def build(cls, index, parameter_sets, compliant_tendon=None, n_sample=N_SAMPLES):
        """From ``parameter_sets``: one ``{curve tag: {property: value}}`` per Millard muscle
        (missing curves and properties take OpenSim's defaults) and ``compliant_tendon``, one
        bool per muscle (default all True, OpenSim's default). Raises ValueError on invalid
        values."""
        props = {tag: {k: np.array([np.nan if (v := p.get(tag, {}).get(k, d)) is None else v
                                    for p in parameter_sets], float)
                       for k, d in defaults.items()}
                 for tag, defaults in CURVE_PROPERTIES.items()}
        tables = {attr: CurveTable.of(tag, [p.get(tag, {}) for p in parameter_sets], n_sample)
                  for attr, tag in _TABLES}
        compliant = np.ones(len(parameter_sets), bool) if compliant_tendon is None else \
            np.array(compliant_tendon, bool).reshape(len(parameter_sets))
        return cls(np.asarray(index, np.intp), props, **tables, compliant_tendon=compliant)

    def __call__(self, norm_length, norm_velocity):
        """Active force-length, passive fibre force-length and force-velocity multipliers.

        Parameters
        ----------
        norm_length : (..., n_millard) float
            Fibre length over optimal fibre length.
        norm_velocity : (..., n_millard) float
            Fibre lengthening velocity over max_contraction_velocity * optimal_fiber_length.

        Returns
        -------
        active_fl, passive_fl, fv : (..., n_millard) float, in units of max isometric force
        """
        return (self.active_force_length(norm_length), self.fiber_force_length(norm_length),
                self.force_velocity(norm_velocity))

    def passive_equilibrium(self, length, optimal_fiber_length, tendon_slack_length,
                            pennation_at_optimal, tol=PASSIVE_TOLERANCE, max_iter=60):
        """Tendon force of the relaxed muscle with an elastic tendon: zero activation, zero fibre
        velocity, fibre and tendon in static equilibrium (what OpenSim's
        ``Millard2012EquilibriumMuscle::computeFiberEquilibrium`` solves, without activation).

        With the constant-thickness pennation model (fibre width h = l_opt sin a0, fibre length
        along the tendon x, fibre length l = sqrt(h^2 + x^2), cos a = x / l) and tendon length
        l_T = l_MT - x, x solves

            r(x) = f_PE(l / l_opt) x / l - f_T(l_T / l_TS) = 0.

        r increases with x, from <= 0 where the fibre's passive force starts (fibre length
        l_opt (1 + strain_at_zero_force), or the minimum fibre length if that is longer) to >= 0
        at the rigid-tendon fibre (x = l_MT - l_TS). A safeguarded Newton iteration on this
        bracket (bisection where the Newton step leaves it; a numba kernel over all frames and
        muscles) converges to |r| <= ``tol``. Where the bracket is empty (the musculotendon is too short to stretch both
        fibre and tendon) the force is zero. The lower end is never shorter than OpenSim's
        minimum fibre length, max(min_norm_active_fiber_length l_opt,
        h / sin(maximum_pennation_angle)); where r >= 0 already there (a passive curve that
        starts below it) the fibre stays at that end and the force is the tendon's there, as
        OpenSim clamps the fibre.

        Parameters
        ----------
        length : (..., n_millard) float
            Musculotendon length l_MT [m].
        optimal_fiber_length, tendon_slack_length, pennation_at_optimal : (n_millard,) float
            l_opt [m], l_TS [m], a0 [rad].
        tol : float
            Tolerance on r, in units of max isometric force.
        max_iter : int

        Returns
        -------
        tendon_force : (..., n_millard) float
            Tendon force over max isometric force (= passive fibre force along the tendon).
        fiber_length : (..., n_millard) float
            Equilibrium fibre length [m] (NaN where the bracket is empty).

        Raises
        ------
        RuntimeError
            If the iteration has not converged after ``max_iter`` steps.
        """
        length = np.asarray(length, float)
        l_opt = np.asarray(optimal_fiber_length, float)
        h2 = (l_opt * np.sin(pennation_at_optimal)) ** 2
        l_min = np.maximum(self.active_force_length.x0 * l_opt, np.sqrt(h2) / _SIN_MAX_PENNATION)
        l_lo = np.maximum(self.fiber_force_length.x0 * l_opt, l_min)
        flat = np.ascontiguousarray(length.reshape(-1, length.shape[-1]))
        force, fibre = np.empty_like(flat), np.empty_like(flat)
        failed = _passive_equilibrium(flat, l_opt, np.asarray(tendon_slack_length, float), h2,
                                      l_lo * l_lo, *self.fiber_force_length.arrays,
                                      *self.tendon_force_length.arrays, tol, max_iter, force, fibre)
        if failed:
            raise RuntimeError(f"passive fibre-tendon equilibrium did not converge in {max_iter} "
                               f"iterations for {failed} muscle frames")
        return force.reshape(length.shape), fibre.reshape(length.shape)


@njit
def _passive_equilibrium(length, l_opt, l_ts, h2, l_lo2, fpe_values, fpe_slopes, fpe_ends,
                         ft_values, ft_slopes, ft_ends, tol, max_iter, force, fibre):
    """Kernel of :meth:`MillardCurves.passive_equilibrium`: fills force and fibre (n, n_curve)
    for musculotendon lengths (n, n_curve); l_lo2 is the squared lower-end fibre length.
    Returns the number of entries that did not converge."""
    failed = 0
    for j in range(length.shape[1]):
        lo0 = math.sqrt(max(l_lo2[j] - h2[j], 0.0))
        for f in range(length.shape[0]):
            lmt = length[f, j]
            lo, hi = lo0, lmt - l_ts[j]
            if not hi > lo:                                   # slack musculotendon
                force[f, j], fibre[f, j] = 0.0, math.nan
                continue
            x = lo                                            # Newton from the lower end
            for it in range(max_iter + 1):
                fib = math.sqrt(h2[j] + x * x)
                cos_a = x / fib
                fpe, dfpe = _hermite(fpe_values, fpe_slopes, fpe_ends, j, fib / l_opt[j])
                ft, dft = _hermite(ft_values, ft_slopes, ft_ends, j, (lmt - x) / l_ts[j])
                r = fpe * cos_a - ft
                if abs(r) <= tol or (it == 0 and r >= 0.0):   # (the fibre stays at the lower end)
                    break
                if r < 0.0:
                    lo = x
                else:
                    hi = x
                dr = dfpe * cos_a * cos_a / l_opt[j] + fpe * h2[j] / fib ** 3 + dft / l_ts[j]
                step = x - r / dr if dr > 0.0 else lo
                x = step if lo < step < hi else 0.5 * (lo + hi)
            else:
                failed += 1
            force[f, j], fibre[f, j] = ft, fib
    return failed


#: (MillardCurves attribute, curve tag) of the tabulated curves.
_TABLES = (("active_force_length", "ActiveForceLengthCurve"),
           ("force_velocity", "ForceVelocityCurve"),
           ("fiber_force_length", "FiberForceLengthCurve"),
           ("tendon_force_length", "TendonForceLengthCurve"))
