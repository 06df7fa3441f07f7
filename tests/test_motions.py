"""Prescribed motions (FADIR, squat) and the uphill transform."""
import numpy as np
import pytest

from hipsim import load_config
from hipsim.gait import COORDINATE_COLUMNS, library_trial
from hipsim.model import load_model
from hipsim.motions import fadir_trial, smooth_ramp, squat_trial, uphill
from hipsim.kinematics import forward_kinematics

HIP = [COORDINATE_COLUMNS.index(n) for n in ("hip_flexion_r", "hip_adduction_r", "hip_rotation_r")]


def test_fadir_reaches_the_configured_position_in_order():
    settings = load_config(None, ["activity.fadir.flexion_deg=80", "activity.fadir.internal_rotation_deg=30"]).activity.fadir
    trial = fadir_trial(settings, 41)
    q = np.rad2deg(trial.coordinates(trial.time)[:, HIP])
    assert q[20] == pytest.approx([80.0, 0.0, 0.0], abs=1e-9)       # flexion first
    assert q[-1] == pytest.approx([80.0, 15.0, 30.0], abs=1e-9)     # then adduction + internal rotation
    assert np.all(np.diff(q[:, 0]) >= -1e-12)
    assert np.all(trial.grf == 0.0)


def test_ramp_rates_match_finite_differences():
    settings = load_config().activity.fadir
    trial = fadir_trial(settings, 11)
    t = np.linspace(0.1, settings.duration_s - 0.1, 17)
    h = 1e-6
    numeric = (trial.coordinates(t + h) - trial.coordinates(t - h)) / (2 * h)
    assert np.allclose(trial.coordinates(t, 1), numeric, atol=1e-6)
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
