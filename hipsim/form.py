"""Running-form levers applied to a gait trial (issue 5; cadence, overstride and step width follow).

Pelvic rotation (``form.pelvic_rotation_scale``)
-----------------------------------------------
Model: the pelvis's transverse-plane rotation is scaled about its cycle mean,
p'(t) = p_mean + s (p(t) - p_mean). While the right foot is on the ground the femur keeps its
orientation about the vertical (the foot does not spin on the floor), so the extra pelvic
rotation shows up as hip rotation: hip internal rotation changes by -(p'(t) - p(t)) in stance
(pelvis turning its right side forward externally rotates the planted right hip). In swing the
leg turns with the pelvis (no change at the hip). The stance weight is the vertical ground
reaction force above 20 N, smoothed over 4 % of the cycle so the coordinates stay differentiable.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .gait import COORDINATE_COLUMNS

_PELVIS_ROTATION = COORDINATE_COLUMNS.index("pelvis_rotation")
_HIP_ROTATION = COORDINATE_COLUMNS.index("hip_rotation_r")
STANCE_THRESHOLD_N = 20.0
STANCE_SMOOTHING = 0.04          # fraction of the cycle


def stance_weight(trial):
    """Periodic C2 cubic spline t -> weight (1 in stance, 0 in swing), from the stance mask
    smoothed over STANCE_SMOOTHING of the cycle; call ``weight(t, 1)`` for its rate."""
    from scipy.interpolate import CubicSpline
    period = trial.stride_time
    n = len(trial.time)
    raw = (trial.grf[:, 1] > STANCE_THRESHOLD_N).astype(float)
    width = max(1, int(round(STANCE_SMOOTHING * n)))
    kernel = np.ones(2 * width + 1) / (2 * width + 1)
    smooth = np.convolve(np.concatenate([raw[-width:], raw, raw[:width]]), kernel, mode="valid")
    t0 = trial.time[0]
    knots = np.linspace(0.0, period, n, endpoint=False)
    spline = CubicSpline(np.append(knots, period), np.append(smooth, smooth[0]), bc_type="periodic")

    def weight(t, nu=0):
        return spline((np.asarray(t, float) - t0) % period, nu)
    return weight


def with_pelvic_rotation_scale(trial, scale):
    """The trial with the pelvic rotation scaled by ``scale`` (see the module docstring)."""
    if scale == 1.0:
        return trial
    level = trial.coordinates
    mean = float(np.mean(level(trial.time, 0)[:, _PELVIS_ROTATION]))
    weight = stance_weight(trial)

    def coordinates(t, nu=0):
        t = np.atleast_1d(np.asarray(t, float))
        q = level(t, 0)
        extra = (scale - 1.0) * (q[:, _PELVIS_ROTATION] - mean)
        if nu == 0:
            q[:, _PELVIS_ROTATION] += extra
            q[:, _HIP_ROTATION] -= weight(t) * extra
            return q
        if nu == 1:
            rate = level(t, 1)
            extra_rate = (scale - 1.0) * rate[:, _PELVIS_ROTATION]
            rate[:, _PELVIS_ROTATION] += extra_rate
            rate[:, _HIP_ROTATION] -= weight(t, 1) * extra + weight(t) * extra_rate
            return rate
        raise ValueError("only values (nu=0) and rates (nu=1) are available")

    return replace(trial, coordinates=coordinates, source=f"{trial.source}, pelvic rotation x{scale:g}")
