"""Inverse dynamics: physics invariants and OpenSim's own output on the same trial."""
import numpy as np
import pytest

from hipsim.dynamics import inverse_dynamics
from hipsim.gait import COORDINATE_COLUMNS, Trial, file_trial, read_opensim_table
from hipsim.kinematics import forward_kinematics
from hipsim.model import load_model

from conftest import reference_path


def _trial(coordinates, n=21, duration=1.0, grf=None, cop=None):
    return Trial(time=np.linspace(0, duration, n), gait_phase=np.linspace(0, 100, n),
                 coordinates=coordinates, coordinate_names=COORDINATE_COLUMNS,
                 grf=np.zeros((n, 3)) if grf is None else grf,
                 cop=np.zeros((n, 3)) if cop is None else cop, cop_frame="ground",
                 free_moment=np.zeros((n, 3)), speed=1.0, source="test")


def test_static_pose_balances_gravity():
    model = load_model()
    q0 = np.zeros(model.n_coord)
    q0[model.coordinate_names.index("hip_flexion_r")] = 0.5
    q0[model.coordinate_names.index("knee_angle_r")] = -0.7

    def still(t, nu=0):
        out = np.zeros((len(np.atleast_1d(t)), model.n_coord))
        if nu == 0:
            out[:] = q0
        return out

    result = inverse_dynamics(model, _trial(still))
    rot, origin = forward_kinematics(model, q0[None])
    hip = origin[0, 1]
    g = -model.gravity[1]
    expected = sum(model.body_mass[b] * g * ((origin[0, b] + rot[0, b] @ model.body_com[b])[0] - hip[0])
                   for b in range(1, 6))
    k = model.coordinate_names.index("hip_flexion_r")
    assert result.generalized_force[0, k] == pytest.approx(expected, rel=1e-9)
    assert result.hip_force[0] == pytest.approx([0.0, model.body_mass[1:].sum() * g, 0.0], rel=1e-9)


def test_free_fall_needs_no_joint_moments():
    """A leg falling freely while it swings needs no joint loads beyond its own inertia;
    with the whole leg in free fall and rigid, every generalized force vanishes."""
    model = load_model()
    g = -model.gravity[1]
    ty = model.coordinate_names.index("pelvis_ty")

    def falling(t, nu=0):
        t = np.atleast_1d(t)
        out = np.zeros((len(t), model.n_coord))
        out[:, ty] = [-0.5 * g * t ** 2, -g * t, np.full(len(t), -g)][nu]
        return out

    result = inverse_dynamics(model, _trial(falling))
    assert np.abs(result.generalized_force[:, 6:]).max() < 1e-6
    assert np.abs(result.hip_force).max() < 1e-6


def test_external_force_at_the_hip_passes_straight_through():
    """A force applied at the foot with the leg at rest appears unchanged (plus weight) at the hip."""
    model = load_model()

    def still(t, nu=0):
        return np.zeros((len(np.atleast_1d(t)), model.n_coord))

    n = 5
    force = np.tile([30.0, 500.0, -20.0], (n, 1))
    rot, origin = forward_kinematics(model, np.zeros((1, model.n_coord)))
    cop = np.tile(origin[0, 4] + [0.1, -0.03, 0.0], (n, 1))
    result = inverse_dynamics(model, _trial(still, n=n, grf=force, cop=cop))
    weight = np.array([0.0, model.body_mass[1:].sum() * -model.gravity[1], 0.0])
    assert result.hip_force[0] == pytest.approx(weight - force[0], rel=1e-9)


def test_matches_opensim_inverse_dynamics_on_subject01():
    """OpenSim's InverseDynamicsTool output for the same model, coordinates and GRF."""
    base = "opensim/gait2392_pipeline/"
    model = load_model(reference_path(base + "subject01_simbody_adjusted.osim"))
    trial = file_trial(reference_path(base + "subject01_walk1_ik.mot"),
                       reference_path("opensim/gait2392_walk_SO_JR/subject01_walk1_grf.mot"), 151, 6.0)
    result = inverse_dynamics(model, trial)
    cols, data, _ = read_opensim_table(reference_path(base + "InverseDynamicsOutput.sto"))
    t_abs = trial.time + 0.6183  # right foot strike found in the GRF file (20 N rising)
    inside = (t_abs > data[0, 0] + 0.05) & (t_abs < data[-1, 0] - 0.05)
    for name in ("hip_flexion_r", "hip_adduction_r", "hip_rotation_r", "knee_angle_r", "ankle_angle_r"):
        ref = np.interp(t_abs[inside], data[:, 0], data[:, cols.index(name + "_moment")])
        mine = result.generalized_force[inside, model.coordinate_names.index(name)]
        r = np.corrcoef(ref, mine)[0, 1]
        rms = np.sqrt(np.mean((ref - mine) ** 2))
        assert r > 0.99, (name, r)
        assert rms < 0.05 * np.ptp(ref), (name, rms)
