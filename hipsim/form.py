"""Running-form levers applied to a gait trial (issue 5).

Overstride (``form.overstride_m``), running at the same speed and cadence
-------------------------------------------------------------------------
Model: the foot lands Delta further ahead of the centre of mass and leaves where it used to, so
contact lasts t_c' = t_c + Delta / u (the stride keeps its time; flight shortens). The leg of
length L0 = 0.53 x height (Morin et al. 2005) touches down at an angle larger by
atan((d + Delta) / h0) - atan(d / h0), d = u t_c / 2, h0 = sqrt(L0^2 - d^2), which is added to
hip flexion at touchdown and swept off linearly by toe-off (the leg reaches forward again over
the last 30 % of swing). The vertical force keeps its measured shape over the longer contact,
scaled by t_c / t_c' (the step impulse is body weight x step time). The fore-aft force is the
spring-mass leg force's: the vertical force's lever, centre of mass minus foot, becomes
u tau - d - Delta instead of u tau - d; the change adds braking while the foot is ahead, and a
uniform shift keeps the contact's fore-aft impulse (steady speed). With the measured vertical
force's early impact transient, this raises the braking peak (a sine-shaped force would not:
the spring-mass braking peak, (pi/4) u T_step / h0 body weights, does not depend on where the
foot lands).

Step width (``form.step_width_m``), running
-------------------------------------------
Model: the runner's preferred step width (heel to heel) is PREFERRED_RUNNING_STEP_WIDTH_M =
0.06 m (the mean of the healthy runners of Brindle et al. 2014, Gait Posture 39:124, who also
ran at 0.01 m (narrow) and 0.15 m (wide)); the library cycle is taken to run at it. A width w
places each foot delta = (w - 0.06) / 2 further from the midline while the pelvis keeps its
path, so the whole leg tilts in the frontal plane about the hip: hip adduction changes by
-atan(delta / L) through the cycle (constant, so no accelerations are added), L the model's mean
hip-to-heel distance in stance. The centre of pressure stays under the foot (carried in the foot
frame) and the ground reaction force keeps its direction, so a narrower step lengthens the
frontal-plane lever of the force about the hip: the abductor moment and the muscle and tendon
loads follow through inverse dynamics and static optimisation. The foot tilts with the leg (no
subtalar compensation). Widths whose feet would cross through each other (below
MIN_STEP_WIDTH_M) are refused.

Cadence (``form.cadence_change_pct``), running at the same speed
----------------------------------------------------------------
Model: the spring-mass runner (Blickhan 1989; McMahon & Cheng 1990) keeps its leg stiffness and
takes steps c % more often. With the stride time T' = T / (1 + c/100) and the library cycle's
own contact time t_c, speed u and leg length L0 (0.53 x height, Morin et al. 2005), the contact
time t_c' is the one at which the sine-wave spring-mass step (:func:`spring_mass_parameters`)
has the cycle's leg stiffness. Then, from the same relations:

* vertical force x (T'/T) / (t_c'/t_c) (the step impulse is body weight x step time);
* fore-aft force x that factor x (t_c' h0) / (t_c h0') with h0 = sqrt(L0^2 - (u t_c/2)^2) (the
  leg force points from the foot to the centre of mass, which travels u t_c during contact);
* vertical oscillation of the pelvis about its mean x dy_c'/dy_c (COM drop in stance);
* the cycle is re-timed so stance lasts t_c' and swing T' - t_c': each phase runs at its own
  uniform rate, blended smoothly at foot strike and toe-off (:func:`cycle_warp`);
* the sagittal hip excursion about its cycle mean is scaled by the stride-length ratio T'/T
  (the leg sweeps a shorter arc for a shorter stride); knee and ankle keep their patterns;
  forward progression stays u t';
* the pelvic obliquity excursion follows the vertical force peak: the sideways drop is the
  trunk spring's response to the stance load (the compliance model of ``strength.core``), the
  hip angles re-solved so the leg keeps its path.
The centre of pressure stays where it was under the foot. Changes beyond what the model
supports (no flight phase left, or no contact time with the cycle's stiffness) are refused.

Pelvic rotation (``form.pelvic_rotation_scale``)
-----------------------------------------------
Model: the pelvis's transverse-plane rotation is scaled about its cycle mean,
p'(t) = p_mean + s (p(t) - p_mean), while the leg keeps its path in space (in stance the foot
does not spin on the floor; in swing the step pattern is kept), so the extra pelvic rotation
shows up as hip rotation: hip internal rotation changes by -(p'(t) - p(t)) (the pelvis turning
its right side forward externally rotates the right hip); exactly, the hip angles are re-solved
so the femur keeps its orientation in space (:func:`keep_leg_path`). The leg's segment motion,
and so the inverse dynamics from the foot up, stays what it was (the leg only shifts with the
hip centre, which the pelvis carries around its own origin). What changes are the hip angles,
hence the muscles' lengths and moment arms, their recruitment and the contact force.

Core strength (``strength.core``)
---------------------------------
Model: the trunk muscles hold the pelvis against the moments that tilt it sideways and twist it
in stance; treated as a linear spring whose stiffness scales with their strength, the pelvis's
excursions scale with compliance, 1 / core (Hooke's law; same moments, weaker spring). So the
pelvic obliquity and rotation excursions about their means are multiplied by 1 / core, and with
the right foot planted the extra angles appear at the hip in stance: more contralateral pelvic
drop gives more hip adduction (pelvis_list positive = right side down; hip adduction changes by
minus the extra list) and more pelvic rotation more hip rotation (the leg keeps its path, as for
the pelvic rotation lever). Direction as reported: weaker
trunk endurance goes with more peak hip internal rotation in running (Schmitz et al. 2014, Gait
Posture 40:82, r = -0.36) and with more pelvic drop and hip adduction (the clinical picture of
issue 5). The size is the model's, not fitted.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from scipy.optimize import brentq

from .errors import InputError
from .gait import COORDINATE_COLUMNS, Trial
from .motions import offset_coordinate
from .spring_mass import spring_mass_parameters

_PELVIS_TX = COORDINATE_COLUMNS.index("pelvis_tx")
_PELVIS_TY = COORDINATE_COLUMNS.index("pelvis_ty")
_HIP_FLEXION = COORDINATE_COLUMNS.index("hip_flexion_r")
#: share of the cycle over which the re-timing blends from the stance rate to the swing rate
WARP_TRANSITION = 0.04
#: preferred running step width [m] (Brindle et al. 2014) and the narrowest the lever takes: a
#: crossover of more than a foot width (~0.1 m) would put the feet through each other
PREFERRED_RUNNING_STEP_WIDTH_M = 0.06
MIN_STEP_WIDTH_M = -0.1
_ADDUCTION = COORDINATE_COLUMNS.index("hip_adduction_r")
#: leg-spring rest length over body height (Morin et al. 2005)
LEG_LENGTH_PER_HEIGHT = 0.53
_PELVIS_ANGLES = [COORDINATE_COLUMNS.index(n) for n in ("pelvis_tilt", "pelvis_list", "pelvis_rotation")]
_HIP_ANGLES = [COORDINATE_COLUMNS.index(n) for n in ("hip_flexion_r", "hip_adduction_r", "hip_rotation_r")]
RATE_STEP_S = 1e-4
#: weakest core the compliance model takes (pelvic excursions x 1 / MIN_CORE)
MIN_CORE = 0.25
STANCE_THRESHOLD_N = 20.0


def _zxy(angles):
    """Rotation matrices (n, 3, 3) of body-fixed Z-X-Y angles (n, 3) [rad] (gait2392's pelvis and
    hip joints: tilt / flexion about z, list / adduction about x, rotation about y):
    R = Rz(a) Rx(b) Ry(c), written out (scipy's Rotation costs 50x more for 101 frames)."""
    angles = np.asarray(angles, float)
    ca, cb, cc = np.cos(angles).T
    sa, sb, sc = np.sin(angles).T
    return np.stack([
        np.stack([ca * cc - sa * sb * sc, -sa * cb, ca * sc + sa * sb * cc], -1),
        np.stack([sa * cc + ca * sb * sc, ca * cb, sa * sc - ca * sb * cc], -1),
        np.stack([-cb * sc, sb, cb * cc], -1)], -2)


def _zxy_angles(R):
    """Body-fixed Z-X-Y angles (n, 3) [rad] of rotation matrices (n, 3, 3), the inverse of
    :func:`_zxy` for |b| < 90 deg (pelvis list and hip adduction never reach it)."""
    return np.column_stack([np.arctan2(-R[:, 0, 1], R[:, 1, 1]),
                            np.arcsin(np.clip(R[:, 2, 1], -1.0, 1.0)),
                            np.arctan2(-R[:, 2, 0], R[:, 2, 2])])


def keep_leg_path(q_old, q_new):
    """``q_new`` (n, n_coord) with its hip angles set so the femur keeps the orientation in space
    it has in ``q_old`` under ``q_new``'s pelvis angles: R_pelvis' R_hip' = R_pelvis R_hip."""
    femur = _zxy(q_old[:, _PELVIS_ANGLES]) @ _zxy(q_old[:, _HIP_ANGLES])
    hip = np.transpose(_zxy(q_new[:, _PELVIS_ANGLES]), (0, 2, 1)) @ femur
    out = q_new.copy()
    out[:, _HIP_ANGLES] = _zxy_angles(hip)
    return out


def with_pelvis_motion(trial, change, label):
    """The trial with its pelvis angles changed by ``change`` (a function (n, n_coord) ->
    (n, n_coord) of the coordinates) while the leg keeps its path in space: the hip angles follow
    exactly (:func:`keep_leg_path`); rates by central differences of the smooth positions."""
    level = trial.coordinates

    def positions(t):
        q = level(t, 0)
        return keep_leg_path(q, change(q))

    def coordinates(t, nu=0):
        t = np.atleast_1d(np.asarray(t, float))
        if nu == 0:
            return positions(t)
        if nu == 1:
            return (positions(t + RATE_STEP_S) - positions(t - RATE_STEP_S)) / (2.0 * RATE_STEP_S)
        raise ValueError("only values (nu=0) and rates (nu=1) are available")

    return replace(trial, coordinates=coordinates, source=f"{trial.source}, {label}")


def scale_pelvis_excursions(trial, scales, label):
    """The trial with pelvis angles' excursions about their cycle means scaled (scales: dict
    pelvis coordinate name -> factor) while the leg keeps its path (:func:`with_pelvis_motion`)."""
    pairs = [(COORDINATE_COLUMNS.index(p), k) for p, k in scales.items() if k != 1.0]
    if not pairs:
        return trial
    means = trial.coordinates(trial.time, 0)[:-1].mean(axis=0)

    def change(q):
        q = q.copy()
        for k, factor in pairs:
            q[:, k] = means[k] + factor * (q[:, k] - means[k])
        return q
    return with_pelvis_motion(trial, change, label)


def with_pelvic_rotation_scale(trial, scale):
    """The trial with the pelvic rotation scaled by ``scale`` (see the module docstring)."""
    return scale_pelvis_excursions(trial, {"pelvis_rotation": scale}, f"pelvic rotation x{scale:g}")


def with_core_strength(trial, core):
    """The trial with a core of relative strength ``core`` (see the module docstring): pelvic
    obliquity and rotation excursions x 1 / core, made up at the planted hip in stance."""
    if not core >= MIN_CORE:
        raise InputError("strength.core", f"{core:g} is below what the compliance model supports "
                                          f"(>= {MIN_CORE:g}: the pelvis would swing {1 / MIN_CORE:g}x its range)")
    return scale_pelvis_excursions(trial, {"pelvis_list": 1.0 / core, "pelvis_rotation": 1.0 / core},
                                   f"core strength x{core:g}")


def contact_time(trial):
    """(start, duration) [s] of the right foot's first contact in the cycle (vertical force above
    STANCE_THRESHOLD_N), start measured from the cycle's first frame."""
    loaded = trial.grf[:, 1] > STANCE_THRESHOLD_N
    if not loaded.any() or loaded.all():
        raise InputError("form.cadence_change_pct", "the cycle has no stance and flight to re-time")
    on = int(np.argmax(loaded))
    off = on + int(np.argmin(loaded[on:])) if not loaded[on:].all() else len(loaded) - 1
    return float(trial.time[on] - trial.time[0]), float(trial.time[off] - trial.time[on])


def _running_cycle(trial, key, height_m):
    """(speed u [m/s], stride T [s], contact start [s], contact time t_c [s], leg length L0 [m]) of
    a cycle a spring-mass lever can act on; InputError naming ``key`` when it has no speed."""
    u, T = trial.speed, trial.stride_time
    if not u > 0:
        raise InputError(key, "applies to running at a speed (the trial has none)")
    start, t_c = contact_time(trial)
    return u, T, start, t_c, LEG_LENGTH_PER_HEIGHT * height_m


def cadence_parameters(trial, body_mass_kg, height_m, change_pct):
    """(stride time T' [s], contact time t_c' [s], vertical scale, fore-aft scale, oscillation
    scale, T, t_c, contact start [s]) of a cadence change (see the module docstring)."""
    key = "form.cadence_change_pct"
    u, T, start, t_c, L0 = _running_cycle(trial, key, height_m)
    base = spring_mass_parameters(u, t_c, body_mass_kg, L0, stride_time=T)
    T2 = T / (1.0 + change_pct / 100.0)

    def stiffness_gap(tc):
        return spring_mass_parameters(u, tc, body_mass_kg, L0, stride_time=T2).leg_stiffness - base.leg_stiffness

    hi = min(T2 / 2.0, 2.0 * L0 / u) * (1.0 - 1e-9)
    lo = 0.2 * t_c
    try:
        if stiffness_gap(lo) * stiffness_gap(hi) > 0:
            raise ValueError
        t_c2 = brentq(stiffness_gap, lo, hi, xtol=1e-12)
    except ValueError:
        raise InputError(key, f"{change_pct:g} % is beyond what the spring-mass model supports for this "
                              "cycle (no contact time keeps the leg stiffness with a flight phase)") from None
    new = spring_mass_parameters(u, t_c2, body_mass_kg, L0, stride_time=T2)
    vertical = (T2 / T) / (t_c2 / t_c)
    h0 = math.sqrt(L0 ** 2 - (u * t_c / 2) ** 2)
    h0_new = math.sqrt(L0 ** 2 - (u * t_c2 / 2) ** 2)
    fore_aft = vertical * (t_c2 * h0) / (t_c * h0_new)
    return T2, t_c2, vertical, fore_aft, new.com_displacement / base.com_displacement, T, t_c, start


def cycle_warp(T, T2, x_off, x_off2, transition=WARP_TRANSITION):
    """Smooth periodic time map t' -> t from a cycle of T2 [s] (toe-off at fraction x_off2) onto
    one of T (toe-off at x_off): uniform rate x_off / x_off2 through stance and
    (1 - x_off) / (1 - x_off2) through swing, blended over ``transition`` of the cycle at foot
    strike and toe-off (logistic steps), so positions, rates and accelerations stay continuous.
    Returns warp(t', nu) -> t (nu=0) or dt/dt' (nu=1)."""
    from scipy.interpolate import CubicSpline
    x = np.linspace(0.0, 1.0, 4001)
    a, b = x_off / x_off2, (1.0 - x_off) / (1.0 - x_off2)

    def step(z):                                    # logistic step at z = 0
        return 1.0 / (1.0 + np.exp(-z / (transition / 6.0)))
    # up at foot strike (x = 0, and again at x = 1), down at toe-off: periodic over [0, 1]
    in_stance = step(x) - step(x - x_off2) + step(x - 1.0)
    rate = b + (a - b) * in_stance
    phi = np.concatenate([[0.0], np.cumsum(0.5 * (rate[1:] + rate[:-1]) * np.diff(x))])
    phi /= phi[-1]
    spline = CubicSpline(x, phi - x, bc_type="periodic")   # the periodic part of the map

    def warp(t, nu=0):
        xt = np.asarray(t, float) / T2
        frac = xt % 1.0
        if nu == 0:
            return T * (xt + spline(frac))
        return (T / T2) * (1.0 + spline(frac, 1))
    return warp


def retimed(trial, x_off, T2, x_off2, adjust, grf_scale, label):
    """The cycle (toe-off at fraction ``x_off``) re-timed to stride ``T2`` [s] with toe-off at
    fraction ``x_off2`` (see :func:`cycle_warp`; forward progression stays speed x time).

    adjust(t, told, q, nu) modifies the warped coordinates (nu=0) or rates (nu=1) in place;
    grf_scale (3,) multiplies the resampled force (fore-aft, vertical, lateral); returns the Trial
    and the map of each new frame to the old cycle's time (for further force changes)."""
    T, u, level = trial.stride_time, trial.speed, trial.coordinates
    warp = cycle_warp(T, T2, x_off, x_off2)

    def coordinates(t, nu=0):
        t = np.atleast_1d(np.asarray(t, float))
        told = warp(t)
        if nu == 0:
            q = level(told, 0)
            q[:, _PELVIS_TX] += u * (t - told)
        elif nu == 1:
            q = level(told, 1) * warp(t, 1)[:, None]
            q[:, _PELVIS_TX] += u * (1.0 - warp(t, 1))
        else:
            raise ValueError("only values (nu=0) and rates (nu=1) are available")
        adjust(t, told, q, nu)
        return q

    n = len(trial.time)
    time = np.linspace(0.0, T2, n)
    told = warp(time)
    phase_old = (told - trial.time[0]) / T * 100.0

    def resample(values):
        return np.column_stack([np.interp(phase_old, trial.gait_phase, values[:, k]) for k in range(3)])

    new = Trial(time=time, gait_phase=np.linspace(0.0, 100.0, n), coordinates=coordinates,
                coordinate_names=trial.coordinate_names, grf=resample(trial.grf) * np.asarray(grf_scale),
                cop=resample(trial.cop), cop_frame=trial.cop_frame,
                free_moment=resample(trial.free_moment) * grf_scale[1], speed=u,
                source=f"{trial.source}, {label}")
    return new, told


def with_cop_on_the_foot(trial, model):
    """The trial with a ground-frame centre of pressure expressed in the model's calcn_r frame
    (forward kinematics of the trial's own frames: the same point), so that the levers below,
    which move the foot, carry the centre of pressure with it. A trial whose CoP is already in a
    body frame, or that has no ground contact, is returned as it is."""
    if trial.cop_frame != "ground" or not np.any(trial.grf):
        return trial
    from .dynamics import trial_coordinates
    from .kinematics import forward_kinematics
    rot, origin = forward_kinematics(model, trial_coordinates(model, trial, trial.time))
    b = model.body_names.index("calcn_r")
    local = np.einsum("fji,fj->fi", rot[:, b], np.asarray(trial.cop, float) - origin[:, b])
    return replace(trial, cop=local, cop_frame="calcn_r")


def with_cadence_change(trial, body_mass_kg, height_m, change_pct):
    """The running trial at ``change_pct`` % more steps per minute, same speed (module docstring)."""
    if change_pct == 0.0:
        return trial
    T2, t_c2, vertical, fore_aft, oscillation, T, t_c, start = cadence_parameters(
        trial, body_mass_kg, height_m, change_pct)
    stride_ratio = T2 / T
    q_old = trial.coordinates(trial.time, 0)
    hip_mean = float(np.mean(q_old[:-1, _HIP_FLEXION]))
    ty_mean = float(np.mean(q_old[:-1, _PELVIS_TY]))

    def adjust(t, told, q, nu):
        if nu == 0:
            q[:, _PELVIS_TY] = ty_mean + oscillation * (q[:, _PELVIS_TY] - ty_mean)
            q[:, _HIP_FLEXION] = hip_mean + stride_ratio * (q[:, _HIP_FLEXION] - hip_mean)
        else:
            q[:, _PELVIS_TY] *= oscillation
            q[:, _HIP_FLEXION] *= stride_ratio

    # contact may start a little after the cycle's first frame: keep that delay in proportion
    new, _ = retimed(trial, (start + t_c) / T, T2, (start * T2 / T + t_c2) / T2, adjust, (fore_aft, vertical, vertical),
                     f"cadence {change_pct:+g} % (spring-mass)")
    # the pelvis's sideways drop is the trunk spring's answer to the stance load (as for the
    # core lever), so it follows the vertical force peak; the leg keeps its path
    return scale_pelvis_excursions(new, {"pelvis_list": vertical}, "pelvic drop with the stance load")


def with_overstride(trial, height_m, overstride_m):
    """The running trial with the foot landing ``overstride_m`` further ahead (module docstring)."""
    if overstride_m == 0.0:
        return trial
    key = "form.overstride_m"
    u, T, start, t_c, L0 = _running_cycle(trial, key, height_m)
    d = 0.5 * u * t_c
    t_c2 = t_c + overstride_m / u
    if not (0.3 * t_c < t_c2 < 0.5 * T and d + overstride_m < 0.9 * L0):
        raise InputError(key, f"{overstride_m:g} m is beyond what the model supports for this cycle (the "
                              "foot must land within reach and leave a flight phase)")
    h0 = math.sqrt(L0 ** 2 - d ** 2)
    d_theta = math.atan2(d + overstride_m, h0) - math.atan2(d, h0)
    weight = _reach_weight(T, start, start + t_c2)

    def adjust(t, told, q, nu):
        q[:, _HIP_FLEXION] += d_theta * weight(t, nu)

    scale = t_c / t_c2
    new, told = retimed(trial, (start + t_c) / T, T, (start + t_c2) / T, adjust, (scale, scale, scale),
                        f"overstride {overstride_m:+g} m")
    # fore-aft: the leg force points from the foot to the centre of mass; the lever of the
    # vertical force changes from u tau_old - d to u tau - d - overstride, plus the uniform shift
    # that keeps the contact's fore-aft impulse (steady speed)
    tau, tau_old = new.time - start, told - start
    stance = (tau >= 0) & (tau <= t_c2)
    extra = np.where(stance, (u * tau - d - overstride_m) - (u * tau_old - d), 0.0)
    fy = new.grf[:, 1]
    extra[stance] -= np.trapezoid(fy * extra, new.time) / max(np.trapezoid(np.where(stance, fy, 0.0), new.time), 1e-12)
    grf = new.grf.copy()
    grf[:, 0] += fy * np.where(stance, extra, 0.0) / h0
    return replace(new, grf=grf)


def _reach_weight(T, touchdown, toe_off, reach_share=0.3):
    """Periodic C2 weight t -> [0, 1] (nu=1: its rate): 1 at touchdown, falling linearly to 0 at
    toe-off (the leg sweeps back to where it used to leave), 0 through swing until the last
    ``reach_share`` of it, where the leg reaches forward again."""
    from scipy.interpolate import CubicSpline
    reach = toe_off + (1.0 - reach_share) * (T - (toe_off - touchdown))
    knots = np.array([touchdown, toe_off, reach, touchdown + T])
    spline = CubicSpline(knots - touchdown, [1.0, 0.0, 0.0, 1.0], bc_type="periodic")

    def weight(t, nu=0):
        return spline((np.asarray(t, float) - touchdown) % T, nu)
    return weight


def with_step_width(trial, model, step_width_m, stance_threshold_n=STANCE_THRESHOLD_N):
    """The running trial at ``step_width_m`` (None: unchanged); see the module docstring."""
    if step_width_m is None:
        return trial
    if step_width_m < MIN_STEP_WIDTH_M:
        raise InputError("form.step_width_m", f"{step_width_m:g} m would cross the legs through each other "
                                              f"(at least {MIN_STEP_WIDTH_M:g} m)")
    from .kinematics import forward_kinematics
    order = [COORDINATE_COLUMNS.index(n) for n in model.coordinate_names]
    _, origin = forward_kinematics(model, trial.coordinates(trial.time, 0)[:, order])
    stance = trial.grf[:, 1] > stance_threshold_n
    hip, heel = model.body_names.index("femur_r"), model.body_names.index("calcn_r")
    length = float(np.linalg.norm(origin[stance, hip] - origin[stance, heel], axis=1).mean())
    delta = 0.5 * (step_width_m - PREFERRED_RUNNING_STEP_WIDTH_M)
    change = -math.atan2(delta, length)
    return replace(trial, coordinates=offset_coordinate(trial.coordinates, _ADDUCTION, change),
                   source=f"{trial.source}, step width {step_width_m:g} m (hip adduction {math.degrees(change):+.2f} deg)")
