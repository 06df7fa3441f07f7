"""Tight hip flexors (issue 5: flexibility.hip_flexor_tightness_deg)."""
import numpy as np

from hipsim import load_config
from hipsim.cli import main
from hipsim.muscles import muscle_group
from hipsim.pipeline import run_pipeline, to_dataset


def _run(tau):
    config = load_config({"activity": {"kind": "walking"}, "flexibility": {"hip_flexor_tightness_deg": tau}})
    run = run_pipeline(config)
    return run, to_dataset(config, run)


def test_tight_flexors_trade_hip_extension_for_anterior_pelvic_tilt():
    (run0, ds0), (run1, ds1) = _run(0.0), _run(12.0)
    # exact when the pelvis has no list or rotation, within their few degrees otherwise
    np.testing.assert_allclose(ds1["hip_angle"].sel(dof="flexion"), ds0["hip_angle"].sel(dof="flexion") + 12.0,
                               atol=0.5)
    np.testing.assert_allclose(run1.dynamics.kinematics[0][:, 1], run0.dynamics.kinematics[0][:, 1], atol=1e-7)
    np.testing.assert_allclose(ds1["pelvis_angle"].sel(pelvis_dof="tilt"),
                               ds0["pelvis_angle"].sel(pelvis_dof="tilt") + 12.0, atol=1e-9)
    # the thigh keeps its path in space: same hip moments to within the small list/rotation terms
    assert np.abs(ds1["hip_moment"].sel(dof="flexion") - ds0["hip_moment"].sel(dof="flexion")).max() < 0.1
    # the shortened flexors, relieved by the tilt, are as stretched at peak extension as before
    # (full compensation) although the hip now sits 12 deg more flexed
    names = run0.model.muscle_names
    flexors = np.array([muscle_group(n) in ("iliopsoas", "rectus_femoris") for n in names])
    i = int(np.argmin(ds0["hip_angle"].sel(dof="flexion").values))
    assert run0.passive[i, flexors].sum() > 50.0
    np.testing.assert_allclose(run1.passive[i, flexors], run0.passive[i, flexors], rtol=0.35)
    fibre0 = run0.length[i, flexors] - run0.model.muscles.tendon_slack_length[flexors]
    fibre1 = run1.length[i, flexors] - run1.model.muscles.tendon_slack_length[flexors]
    np.testing.assert_allclose(fibre1, fibre0, atol=3e-3)     # [m]; rectus femoris also spans the knee
    assert float(ds1["tendon_force"].sel(tendon_group="gluteus_maximus").max()) > \
        float(ds0["tendon_force"].sel(tendon_group="gluteus_maximus").max())


def test_out_of_range_tightness_exits_2(tmp_path, capsys):
    out = tmp_path / "r.nc"
    assert main(["run", "--set", "flexibility.hip_flexor_tightness_deg=45", "-o", str(out)]) == 2
    assert "flexibility.hip_flexor_tightness_deg" in capsys.readouterr().err and not out.exists()
