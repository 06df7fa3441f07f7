"""Prescribed motions (the FADIR test, a squat) and the uphill transform of a gait trial.

Each returns a :class:`hipsim.gait.Trial`, the same object the gait library gives, so inverse
dynamics, static optimization and impingement run on them unchanged.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from .gait import COORDINATE_COLUMNS, G, Trial

_INDEX = {name: i for i, name in enumerate(COORDINATE_COLUMNS)}


def smooth_ramp(s):
    """0 -> 1 over s in [0, 1] with zero slope at both ends (1 - cos) / 2; clipped outside."""
    s = np.clip(np.asarray(s, float), 0.0, 1.0)
    return 0.5 * (1.0 - np.cos(math.pi * s))


def _smooth_ramp_rate(s):
    inside = (np.asarray(s) > 0.0) & (np.asarray(s) < 1.0)
    return np.where(inside, 0.5 * math.pi * np.sin(math.pi * np.clip(s, 0.0, 1.0)), 0.0)


class _PiecewiseRamps:
    """Coordinates as sums of smooth ramps: q_j(t) = base_j + sum_r amp_rj ramp((t - t0_r) / T_r).

    Callable like ``Trial.coordinates``: ``(t, nu)`` -> (len(t), n_coord), nu = 0 or 1.
    """

    def __init__(self, base, ramps):
        self.base = np.asarray(base, float)
        self.ramps = ramps  # list of (t0, duration, amplitude (n_coord,))

    def __call__(self, t, nu=0):
        t = np.atleast_1d(np.asarray(t, float))
        out = np.zeros((len(t), len(self.base))) if nu else np.tile(self.base, (len(t), 1))
        for t0, duration, amplitude in self.ramps:
            s = (t - t0) / duration
            if nu == 0:
                out += smooth_ramp(s)[:, None] * amplitude
            elif nu == 1:
                out += (_smooth_ramp_rate(s) / duration)[:, None] * amplitude
            else:
                raise ValueError("only values (nu=0) and rates (nu=1) are available")
        return out


def _vector(**degrees):
    v = np.zeros(len(COORDINATE_COLUMNS))
    for name, value in degrees.items():
        v[_INDEX[name]] = math.radians(value)
    return v


#: the knee during the hip exams: flexed 90 deg, so the hamstrings are slack (gait2392's sign)
EXAM_KNEE_DEG = -90.0


class _ClinicalExam:
    """Coordinates of a passive hip exam whose hip angles are given clinically: flexion,
    adduction and internal rotation of the femur's anatomical frame against the anterior pelvic
    plane (ramps, :class:`_PiecewiseRamps` over the three angles [deg]), turned into the model's
    hip coordinates through the hip's frames: R_model = P^T R_anatomical F (P, F: the anatomical
    axes in the model's pelvis and femur frames); the other coordinates from ``base`` (a callable
    like it); rates by the chain rule, a central difference along the ramps' exact rates."""

    def __init__(self, angles, pelvis_axes, femur_axes, base, step=1e-4):
        self.angles = angles
        self.P = np.asarray(pelvis_axes, float)
        self.F = np.asarray(femur_axes, float)
        self.base = base
        self.step = step

    def model_hip_angles(self, clinical_deg):
        """(n, 3) model hip coordinates [rad] of clinical angles (n, 3) [deg]."""
        from .form import _zxy_angles
        from .mesh import hip_rotation
        R = np.einsum("ji,njk,kl->nil", self.P, hip_rotation(clinical_deg), self.F)
        return _zxy_angles(R)

    def __call__(self, t, nu=0):
        t = np.atleast_1d(np.asarray(t, float))
        hip = [_INDEX[n] for n in ("hip_flexion_r", "hip_adduction_r", "hip_rotation_r")]
        q = self.base(t, nu)
        angles = self.angles(t, 0)
        if nu == 0:
            q[:, hip] = self.model_hip_angles(angles)
        else:       # chain rule: a central difference along the clinical angles' exact rates
            rate = self.angles(t, 1)
            e = self.step
            q[:, hip] = (self.model_hip_angles(angles + e * rate) - self.model_hip_angles(angles - e * rate)) / (2 * e)
        return q


def _exam(flexion, adduction, rotation, duration, frames, pelvis_axes, femur_axes, source):
    """A passive exam: flexion over the first half, the knee flexing with the hip to
    EXAM_KNEE_DEG, then adduction and rotation over the second (clinical angles [deg]); pelvis
    still, no ground contact."""
    base = np.zeros(len(COORDINATE_COLUMNS))
    base[_INDEX["pelvis_ty"]] = 0.95
    ramps = _PiecewiseRamps(np.zeros(3), [(0.0, duration / 2, np.array([flexion, 0.0, 0.0])),
                                          (duration / 2, duration / 2, np.array([0.0, adduction, rotation]))])
    knee = _PiecewiseRamps(base, [(0.0, duration / 2, _vector(knee_angle_r=EXAM_KNEE_DEG))])
    return _prescribed(_ClinicalExam(ramps, pelvis_axes, femur_axes, knee), duration, frames, source)


def fadir_trial(settings, frames, pelvis_axes=np.eye(3), femur_axes=np.eye(3)):
    """The FADIR exam: hip flexion to ``flexion_deg`` over the first half, then adduction and
    internal rotation to ``adduction_deg`` / ``internal_rotation_deg`` over the second half
    (clinical angles, :class:`_ClinicalExam`), knee flexed 90 deg, pelvis fixed, leg unloaded.

    Quasi-static passive examination (Philippon et al. 2007, Knee Surg Sports Traumatol Arthrosc
    15:1041): the examiner moves the relaxed leg over ``duration_s`` seconds and holds its weight.
    """
    return _exam(settings.flexion_deg, settings.adduction_deg, settings.internal_rotation_deg,
                 settings.duration_s, frames, pelvis_axes, femur_axes, "FADIR exam (passive, prescribed)")


def faber_trial(settings, frames, pelvis_axes=np.eye(3), femur_axes=np.eye(3)):
    """The FABER exam: hip flexion, then abduction and external rotation (clinical angles), knee
    flexed 90 deg, pelvis fixed, leg held by the examiner (the posterior impingement test)."""
    return _exam(settings.flexion_deg, -settings.abduction_deg, -settings.external_rotation_deg,
                 settings.duration_s, frames, pelvis_axes, femur_axes, "FABER exam (passive, prescribed)")


def squat_trial(settings, frames, body_weight_n, model):
    """A bilateral squat: hip, knee and ankle flex together to the configured depth over the
    first half and return over the second; the pelvis moves so the right foot stays flat on the
    floor; each foot carries half the body weight under the mid-foot (quasi-static, both legs
    symmetric). Knee flexion negative in gait2392's convention.
    """
    duration = settings.duration_s
    depth = _vector(hip_flexion_r=settings.hip_flexion_deg, knee_angle_r=-settings.knee_flexion_deg,
                    ankle_angle_r=settings.ankle_dorsiflexion_deg)
    legs = _PiecewiseRamps(np.zeros(len(COORDINATE_COLUMNS)),
                           [(0.0, duration / 2, depth), (duration / 2, duration / 2, -depth)])
    coordinates = _FootPlanted(legs, model)
    trial = _prescribed(coordinates, duration, frames, "squat (prescribed)")
    n = len(trial.time)
    grf = np.tile([0.0, 0.5 * body_weight_n, 0.0], (n, 1))
    cop = np.tile(MID_FOOT_IN_CALCN, (n, 1))
    return replace(trial, grf=grf, cop=cop, cop_frame="calcn_r")


#: Centre of pressure of quiet bilateral stance in the calcn_r frame [m]: halfway between the
#: heel and the metatarsal heads of gait2392's foot, on the sole.
MID_FOOT_IN_CALCN = np.array([0.09, -0.02, 0.0])


class _FootPlanted:
    """Coordinates of ``legs`` with pelvis translations that keep the calcn_r origin fixed.

    Forward kinematics of ``model`` gives the foot relative to the pelvis; the pelvis is placed
    so the foot stays where it is in the first frame. Rates by central differences (the motion
    is slow and smooth).
    """

    def __init__(self, legs, model, step=1e-4):
        self.legs = legs
        self.model = model
        self.step = step
        self.anchor = self._foot(np.zeros(1))[0]

    def _foot(self, t):
        from .kinematics import forward_kinematics
        q = self.legs(t, 0)
        order = [COORDINATE_COLUMNS.index(n) for n in self.model.coordinate_names]
        _, origin = forward_kinematics(self.model, q[:, order])
        return origin[:, self.model.body_names.index("calcn_r")]

    def __call__(self, t, nu=0):
        t = np.atleast_1d(np.asarray(t, float))
        if nu == 1:
            return (self(t + self.step) - self(t - self.step)) / (2 * self.step)
        q = self.legs(t, 0)
        shift = self.anchor - self._foot(t)
        for axis, name in enumerate(("pelvis_tx", "pelvis_ty", "pelvis_tz")):
            q[:, _INDEX[name]] += shift[:, axis]
        return q


def _prescribed(coordinates, duration, frames, source):
    n = frames
    return Trial(time=np.linspace(0.0, duration, n), gait_phase=np.linspace(0.0, 100.0, n),
                 coordinates=coordinates, coordinate_names=COORDINATE_COLUMNS,
                 grf=np.zeros((n, 3)), cop=np.zeros((n, 3)), cop_frame="ground",
                 free_moment=np.zeros((n, 3)), speed=0.0, source=source)


def offset_coordinate(coordinates, index, offset):
    """A trial's ``coordinates`` callable with ``offset`` added to coordinate ``index`` (values
    only; a constant leaves the rates as they are)."""
    def shifted(t, nu=0):
        q = coordinates(t, nu)
        if nu == 0:
            q[:, index] += offset
        return q
    return shifted


def uphill(trial, incline_deg):
    """A level gait trial on a slope of ``incline_deg`` (uphill positive).

    Model: the leg keeps its motion relative to the running surface while the pelvis keeps its
    orientation relative to gravity, so every instant the leg is rotated forward by the incline
    about the hip's flexion axis: hip flexion rises by the incline angle throughout, and the
    ground reaction force (normal and tangential to the surface) rotates with the surface. This
    reproduces the direction of the measured changes (more hip flexion at contact and more
    propulsive force uphill; Roberts & Belliveau 2005, J Exp Biol 208:1963) without claiming
    their size. Running at steady speed, the stride-mean force must still equal the level one
    (the weight): the along-slope impulse this needs beyond the rotated force is added during
    stance in proportion to the normal force.
    """
    if incline_deg == 0.0:
        return trial
    a = math.radians(incline_deg)
    coordinates = offset_coordinate(trial.coordinates, _INDEX["hip_flexion_r"], a)
    c, s = math.cos(a), math.sin(a)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])  # about +z: surface normal tilts back
    grf = trial.grf @ rot.T
    # Steady speed on the slope needs the same mean force as on the level (the body's weight):
    # the missing along-slope impulse is added in proportion to the normal force.
    normal = np.maximum(trial.grf[:, 1], 0.0)
    if normal.mean() > 0.0:
        grf += np.outer(normal / normal.mean(), trial.grf.mean(axis=0) - grf.mean(axis=0))
    free = trial.free_moment @ rot.T
    return replace(trial, coordinates=coordinates, grf=grf, free_moment=free,
                   source=f"{trial.source}, uphill {incline_deg:g} deg (surface-aligned leg)")


__all__ = ["fadir_trial", "faber_trial", "squat_trial", "uphill", "smooth_ramp", "G"]
