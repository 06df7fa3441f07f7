"""Impingement over the motions and the range of motion (issue 3 must-shows), end to end."""
import numpy as np
import pytest

from hipsim import load_config
from hipsim.rom import range_of_motion
from hipsim.pipeline import simulate


@pytest.mark.parametrize("kind", ["walking", "running"])
def test_normal_hip_never_overlaps_in_gait(kind):
    ds = simulate(load_config({"activity": {"kind": kind}}))
    clearance = ds["impingement_clearance"].values
    assert np.all(np.isfinite(clearance))
    assert clearance.min() > 0.0
    assert float(ds["impingement_overlap_area"].max()) == 0.0


def test_large_cam_overlaps_the_anterosuperior_rim_in_fadir():
    normal = simulate(load_config({"activity": {"kind": "fadir"}}))
    cam = simulate(load_config({"activity": {"kind": "fadir"}, "morphology": {"alpha_angle_deg": 90.0}}))
    assert float(normal["impingement_clearance"].min()) > 0.0
    clearance = cam["impingement_clearance"].values
    i = int(np.argmin(clearance))
    assert clearance[i] < 0.0 and float(cam["impingement_overlap_area"].values[i]) > 0.0
    clock = float(cam["impingement_clock"].values[i])
    assert clock >= 11.5 or clock <= 3.0           # about 12 to 3 o'clock on the right hip
    # the overlap builds up during the adduction / internal-rotation half of the test
    first_overlap = int(np.flatnonzero(clearance < 0)[0])
    assert cam["hip_angle"].sel(dof="internal_rotation").values[first_overlap] > 10.0


def test_internal_rotation_at_90_flexion_falls_as_the_alpha_angle_grows():
    at90 = {"rom": {"flexion_start_deg": 90.0, "flexion_stop_deg": 90.0}}
    internal = [float(range_of_motion(load_config({**at90, "morphology": {"alpha_angle_deg": a}}))
                      ["max_internal_rotation"][0]) for a in (42.0, 65.0, 85.0)]
    assert internal[0] > internal[1] > internal[2]
