"""Running-form levers (issue 5): pelvic rotation scale."""
import numpy as np
import pytest

from hipsim import load_config
from hipsim.cli import main
from hipsim.simulate import simulate


@pytest.fixture(scope="module")
def walks():
    return {s: simulate(load_config({"activity": {"kind": "walking"}, "form": {"pelvic_rotation_scale": s}}))
            for s in (1.0, 2.0)}


def test_pelvic_rotation_scales_about_its_mean_and_turns_the_planted_hip(walks):
    base, wide = walks[1.0], walks[2.0]
    p0 = base["pelvis_angle"].sel(pelvis_dof="rotation").values
    p1 = wide["pelvis_angle"].sel(pelvis_dof="rotation").values
    np.testing.assert_allclose(p1 - p1.mean(), 2.0 * (p0 - p0.mean()), atol=1e-6)
    h0 = base["hip_angle"].sel(dof="internal_rotation").values
    h1 = wide["hip_angle"].sel(dof="internal_rotation").values
    grf = base["grf"].sel(axis="superior").values
    stance, swing = grf > 0.3, grf == 0
    # in stance the femur keeps its heading: the extra pelvic rotation appears at the hip
    np.testing.assert_allclose((h1 - h0)[stance], -(p1 - p0)[stance], atol=0.5)
    assert np.ptp(h1[stance]) > np.ptp(h0[stance]) + 3.0
    # in mid swing the leg turns with the pelvis
    mid_swing = swing & (np.abs(np.convolve(swing, np.ones(9), "same") - 9) < 0.5)
    np.testing.assert_allclose(h1[mid_swing], h0[mid_swing], atol=0.05)      # spline ripple only
    assert (wide["solver_status"].values == 0).all()


def test_out_of_range_pelvic_rotation_exits_2(tmp_path, capsys):
    out = tmp_path / "r.nc"
    assert main(["run", "--set", "form.pelvic_rotation_scale=4", "-o", str(out)]) == 2
    assert "form.pelvic_rotation_scale" in capsys.readouterr().err and not out.exists()
