"""Prescribed motions (FADIR, squat) and the uphill transform."""
import numpy as np
import pytest

from hipsim import load_config
from hipsim.gait import COORDINATE_COLUMNS, library_trial
from hipsim.model import load_model
from hipsim.motions import fadir_trial, smooth_ramp, squat_trial, uphill
from hipsim.kinematics import forward_kinematics

HIP = [COORDINATE_COLUMNS.index(n) for n in ("hip_flexion_r", "hip_adduction_r", "hip_rotation_r")]


def _clinical(trial, axes):
    """The exam's clinical angles [deg] at its frames, back from the model's hip coordinates."""
    from hipsim.form import _zxy
    from hipsim.mesh import hip_rotation
    P, F = axes
    R = _zxy(trial.coordinates(trial.time)[:, HIP])
    angles = np.rad2deg(np.column_stack([np.arctan2(-R[:, 0, 1], R[:, 1, 1]), np.arcsin(R[:, 2, 1]),
                                         np.arctan2(-R[:, 2, 0], R[:, 2, 2])]))
    # R_model = P^T R_anatomical F, so R_anatomical = P R_model F^T
    anat = np.einsum("ij,njk,lk->nil", P, R, F)
    again = hip_rotation(np.rad2deg(np.column_stack([np.arctan2(-anat[:, 0, 1], anat[:, 1, 1]),
                                                     np.arcsin(anat[:, 2, 1]),
                                                     np.arctan2(-anat[:, 2, 0], anat[:, 2, 2])])))
    assert np.allclose(again, anat, atol=1e-9)
    return np.rad2deg(np.column_stack([np.arctan2(-anat[:, 0, 1], anat[:, 1, 1]), np.arcsin(anat[:, 2, 1]),
                                       np.arctan2(-anat[:, 2, 0], anat[:, 2, 2])])), angles


def test_fadir_reaches_the_configured_clinical_position_in_order():
    from hipsim.hip_models import real_hip
    hip = real_hip()
    settings = load_config(None, ["activity.fadir.flexion_deg=80", "activity.fadir.internal_rotation_deg=30"]).activity.fadir
    trial = fadir_trial(settings, 41, hip.P, hip.F)
    clinical, model_angles = _clinical(trial, (hip.P, hip.F))
    assert clinical[20] == pytest.approx([80.0, 0.0, 0.0], abs=1e-9)        # flexion first
    assert clinical[-1] == pytest.approx([80.0, 5.0, 30.0], abs=1e-9)       # then adduction + IR
    assert np.all(np.diff(clinical[:, 0]) >= -1e-12)
    # gait2392's pelvis frame is the anterior pelvic plane tilted 16 deg: less model flexion
    assert model_angles[20, 0] == pytest.approx(80.0 - 16.2, abs=0.5)
    assert np.all(trial.grf == 0.0)
    knee = np.rad2deg(trial.coordinates(trial.time)[:, COORDINATE_COLUMNS.index("knee_angle_r")])
    assert knee[0] == 0.0 and knee[20] == pytest.approx(-90.0)               # the knee flexes with the hip


def test_faber_abducts_and_rotates_externally():
    from hipsim.hip_models import real_hip
    from hipsim.motions import faber_trial
    hip = real_hip()
    trial = faber_trial(load_config().activity.faber, 21, hip.P, hip.F)
    clinical, _ = _clinical(trial, (hip.P, hip.F))
    assert clinical[-1] == pytest.approx([45.0, -45.0, -45.0], abs=1e-9)


def test_ramp_rates_match_finite_differences():
    settings = load_config().activity.fadir
    trial = fadir_trial(settings, 11)
    t = np.linspace(0.1, settings.duration_s - 0.1, 17)
    h = 1e-6
    numeric = (trial.coordinates(t + h) - trial.coordinates(t - h)) / (2 * h)
    assert np.allclose(trial.coordinates(t, 1), numeric, atol=1e-5)
    assert smooth_ramp(0.0) == 0.0 and smooth_ramp(1.0) == 1.0


def test_squat_keeps_the_foot_planted_and_loads_half_body_weight():
    model = load_model()
    settings = load_config().activity.squat
    trial = squat_trial(settings, 31, 700.0, model)
    q = trial.coordinates(trial.time)
    order = [COORDINATE_COLUMNS.index(n) for n in model.coordinate_names]
    _, origin = forward_kinematics(model, q[:, order])
    foot = origin[:, model.body_names.index("calcn_r")]
    assert np.abs(foot - foot[0]).max() < 1e-9
    assert np.rad2deg(q[15, HIP[0]]) == pytest.approx(settings.hip_flexion_deg)
    assert np.allclose(trial.grf[:, 1], 350.0)


def test_uphill_adds_flexion_and_keeps_the_mean_force():
    level = library_trial("running", 3.5, 101, 700.0)
    hill = uphill(level, 8.0)
    t = level.time
    dq = hill.coordinates(t) - level.coordinates(t)
    assert np.allclose(np.rad2deg(dq[:, HIP[0]]), 8.0)
    assert np.allclose(np.delete(dq, HIP[0], axis=1), 0.0)
    assert np.allclose(hill.grf.mean(axis=0), level.grf.mean(axis=0), atol=1e-9)
    stance = level.grf[:, 1] > 100
    assert hill.grf[stance, 0].sum() > level.grf[stance, 0].sum()   # more propulsion uphill
    assert uphill(level, 0.0) is level


def test_incline_only_for_gait():
    from hipsim import InputError
    with pytest.raises(InputError) as exc:
        load_config(None, ["activity.kind=fadir", "activity.incline_deg=5"])
    assert exc.value.where == "activity.incline_deg"
