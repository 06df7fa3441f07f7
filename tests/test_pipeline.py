"""The whole pipeline on OpenSim's subject01 walking trial: balance, signs, levers, flags."""
import numpy as np

from hipsim.model import ACTUATED_COORDINATES
from hipsim.muscles import muscle_group
from hipsim.pipeline import run_pipeline, simulate, to_dataset

from conftest import reference_path


def test_muscles_and_reserves_balance_the_net_moments(subject01_run):
    run = subject01_run
    act = run.model.coordinate_index(ACTUATED_COORDINATES)
    muscle_moment = np.einsum("fmk,fm->fk", run.moment_arm[:, :, act], run.muscle_force)
    net = run.dynamics.generalized_force[:, act]
    assert np.allclose(muscle_moment + run.solution.reserve, net, atol=1e-6)
    assert np.all(run.solution.status == 0)
    assert np.abs(run.solution.reserve).max() < 0.5


def test_contact_force_signs_follow_the_contract(subject01_config, subject01_run):
    ds = to_dataset(subject01_config, subject01_run)
    stance = ds["grf"].sel(lab_axis="superior") > 0.5
    hcf = ds["hip_contact_force"]
    assert (hcf.sel(axis="superior")[stance] > 1.0).all()      # load into the dome
    assert (hcf.sel(axis="lateral")[stance] < 0).all()         # head pushed medially into the socket
    assert float(ds["hip_contact_force_resultant"].max()) > 2.0
    assert ds["hip_contact_force"].attrs["units"] == "BW"
    assert "config" in ds.attrs and "hipsim_version" in ds.attrs


def test_contact_force_tracks_opensim_joint_reaction(subject01_run):
    """OpenSim 4.6 static optimization + joint reaction on the same model and trial."""
    ref = np.loadtxt(reference_path("opensim/results/walk_gait2392_100Hz/hip_r_resultant_cycle.txt"))
    phase = subject01_run.trial.gait_phase
    opensim = np.interp(phase, ref[:, 1], ref[:, 2])
    mine = np.linalg.norm(subject01_run.contact_force, axis=1) / (72.6 * 9.80665)
    assert np.corrcoef(opensim, mine)[0, 1] > 0.95


def _group_force(run, groups):
    mask = np.array([muscle_group(n) in groups for n in run.model.muscle_names])
    return run.muscle_force[:, mask].sum(axis=1)


def test_weak_gluteus_medius_shifts_load_to_its_synergists(subject01_config):
    base = run_pipeline(subject01_config)
    weak = run_pipeline(subject01_config.model_copy(update={
        "strength": subject01_config.strength.model_copy(update={"gluteus_medius": 0.3})}))
    stance = base.trial.grf[:, 1] > 100
    synergists = ("tensor_fasciae_latae", "gluteus_minimus")
    assert _group_force(weak, synergists)[stance].sum() > 1.2 * _group_force(base, synergists)[stance].sum()
    assert _group_force(weak, ("gluteus_medius",))[stance].sum() < _group_force(base, ("gluteus_medius",))[stance].sum()


def test_frames_muscles_cannot_balance_are_flagged(subject01_config):
    feeble = subject01_config.strength.model_copy(update={k: 0.02 for k in (
        "gluteus_maximus", "gluteus_medius", "gluteus_minimus", "iliopsoas", "tensor_fasciae_latae",
        "rectus_femoris", "hamstrings", "adductors", "deep_rotators")})
    ds = simulate(subject01_config.model_copy(update={"strength": feeble}))
    flagged = ds["solver_status"] == 1
    assert flagged.sum() > 10
    assert float(abs(ds["reserve_moment"]).where(flagged).max()) > 10.0
    assert "reserve_exceeded" in ds["solver_status"].attrs["flag_meanings"]


def test_same_config_same_numbers(subject01_config):
    a = simulate(subject01_config)
    b = simulate(subject01_config)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values)


def test_ideal_force_generators_differ_from_hill_muscles(subject01_config, subject01_run):
    ideal = run_pipeline(subject01_config.model_copy(update={
        "solver": subject01_config.solver.model_copy(update={"muscle_physiology": False})}))
    assert np.all(ideal.solution.status == 0)
    assert np.allclose(ideal.passive, 0.0)
    assert not np.allclose(ideal.contact_force, subject01_run.contact_force, rtol=0.01)


def test_measured_running_trial_swings_without_spikes():
    """Hamner's measured running cycle: in swing the leg carries no load, so the hip contact
    force changes smoothly (the library's coordinates are stored finely enough that their
    spline's accelerations carry no rounding noise: at 1e-5 m, +-0.8 m/s2 of pelvis
    acceleration and 0.7-0.9 BW frame-to-frame swings)."""
    ds = simulate({"subject": {"mass_kg": 65.9}, "activity": {"kind": "running", "trial": "hamner2010"}})
    force = ds["hip_contact_force_resultant"].values
    airborne = ds["grf"].sel(lab_axis="superior").values == 0.0
    swing = airborne[1:] & airborne[:-1]
    assert swing.sum() > 50
    assert np.abs(np.diff(force))[swing].max() < 0.5


def test_shipped_rajagopal_model_is_scaled_to_the_subject_and_holds_a_measured_run():
    from hipsim.config import load_config
    from hipsim.pipeline import build_model
    config = load_config({"subject": {"mass_kg": 62.0, "height_m": 1.68}, "model": {"name": "rajagopal2023"},
                          "activity": {"kind": "running", "trial": "hamner2010"}})
    model = build_model(config)
    assert "RajagopalLaiUhlrich2023" in str(model.source) and model.muscles.millard is not None
    generic = build_model(load_config({"subject": {"mass_kg": 75.337, "height_m": 1.8 * 0.8061 / 0.8258},
                                       "model": {"name": "rajagopal2023"}}))
    assert np.isclose(model.body_mass.sum() / generic.body_mass.sum(), 62.0 / 75.337)
    leg = lambda m: np.linalg.norm(m.joint_parent_offset[m.body_names.index("tibia_r"), :3, 3])   # noqa: E731
    assert np.isclose(leg(model) / leg(generic), 1.68 / (1.8 * 0.8061 / 0.8258))
    ds = simulate(config)
    assert int((ds["solver_status"] != 0).sum()) <= 5          # < 5 % of 101 frames
    assert float(np.abs(ds["reserve_moment"]).max()) < 10.0


def test_simulate_takes_overrides_as_keyword_sections():
    """``hipsim.simulate(config, **overrides)``: the override reaches the run and the result's
    stored config; the submodules are reachable as attributes of the package."""
    import yaml
    import hipsim
    base = {"activity": {"kind": "walking", "frames": 21}}
    weak = hipsim.simulate(base, strength={"gluteus_medius": 0.5})
    assert yaml.safe_load(weak.attrs["config"])["strength"]["gluteus_medius"] == 0.5
    normal = hipsim.simulate(base)
    glmed = weak["muscle_force"].sel(muscle=[m for m in weak.muscle.values if m.startswith("glut_med")])
    glmed_normal = normal["muscle_force"].sel(muscle=glmed.muscle.values)
    assert float(glmed.max()) < float(glmed_normal.max())
    assert callable(hipsim.rom.range_of_motion) and "hip_contact_force" in hipsim.variables.VARIABLES
