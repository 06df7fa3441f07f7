"""Tight hip flexors (``flexibility.hip_flexor_tightness_deg``).

Model, for a tightness of tau degrees (lost hip extension range):

* Muscles: the hip flexors that a Thomas test stretches (iliacus, psoas, rectus femoris) are
  shortened by the length that tau degrees of hip extension would add to them: each tendon slack
  length drops by r_i tau, r_i the muscle's hip-flexion moment arm in the neutral pose
  (r = -dL/dq). Their passive force therefore rises tau degrees earlier in extension, and it is
  carried into static optimisation as passive moments that the extensors must balance.
* Motion: the runner keeps the thigh's path in space and makes up the lost extension with the
  pelvis, tilted anteriorly by tau throughout the cycle; the hip angles are re-solved so the
  femur keeps its orientation in space (:func:`hipsim.form.keep_leg_path`): hip flexion rises by
  tau, exactly when the pelvis has no list or rotation and to within their small angles
  otherwise. This is the compensation the
  clinical picture describes (tight flexors -> anterior pelvic tilt, less hip extension), and it
  keeps the hip in more flexion throughout, which moves the impingement-free range (Ross et al.
  2014, Am J Sports Med 42:2402: anterior pelvic tilt reduces impingement-free flexion and
  internal rotation). Inverse dynamics runs from the foot up, so the trunk's posture (kept
  upright by lumbar lordosis) does not enter the hip moments.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from .gait import COORDINATE_COLUMNS

#: Muscles shortened by hip flexor tightness (names without side suffix, gait2392 and Rajagopal).
TIGHT_FLEXORS = ("iliacus", "psoas", "rect_fem", "recfem")
_TILT = COORDINATE_COLUMNS.index("pelvis_tilt")


def tight_flexor_model(model, tightness_deg):
    """The model with the TIGHT_FLEXORS shortened (see the module docstring)."""
    if tightness_deg == 0.0:
        return model
    from .muscles import muscle_geometry
    _, moment_arm, _ = muscle_geometry(model, np.zeros((1, model.n_coord)))
    k = model.coordinate_index(("hip_flexion_r",))[0]
    tau = math.radians(tightness_deg)
    base = [n[:-2] if n.endswith(("_r", "_l")) else n for n in model.muscle_names]
    tight = np.array([b in TIGHT_FLEXORS and n.endswith("_r") for b, n in zip(base, model.muscle_names)])
    shortening = np.where(tight, np.maximum(moment_arm[0, :, k], 0.0) * tau, 0.0)
    m = model.muscles
    return replace(model, muscles=replace(m, tendon_slack_length=m.tendon_slack_length - shortening))


def with_anterior_tilt(trial, tightness_deg):
    """The trial with the pelvis tilted anteriorly by ``tightness_deg`` while the thigh keeps its
    path in space (the hip angles follow exactly; see the module docstring)."""
    if tightness_deg == 0.0:
        return trial
    from .form import with_pelvis_motion
    tau = math.radians(tightness_deg)

    def tilt(q):
        q = q.copy()
        q[:, _TILT] -= tau                      # gait2392's pelvis_tilt: negative = anterior tilt
        return q

    return with_pelvis_motion(trial, tilt, f"hip flexors {tightness_deg:g} deg tight (anterior pelvic tilt)")
