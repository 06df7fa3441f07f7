"""Impingement over the motions, the passive exams and the range of motion on the real hip, end
to end (issue 12's must-shows)."""
import numpy as np
import pytest

from hipsim import load_config
from hipsim.pipeline import simulate
from hipsim.rom import range_of_motion


@pytest.mark.parametrize("kind", ["walking", "running"])
def test_the_default_hip_never_overlaps_in_gait(kind):
    ds = simulate(load_config({"activity": {"kind": kind}}))
    clearance = ds["impingement_clearance"].values
    assert np.all(np.isfinite(clearance))
    assert clearance.min() > 0.0
    assert float(ds["impingement_overlap_area"].max()) == 0.0


def test_passive_fadir_of_a_normal_hip():
    ds = simulate(load_config({"activity": {"kind": "fadir"}}))
    assert float(ds["muscle_activation"].max()) == 0.0                      # a relaxed leg
    assert np.all(ds["solver_status"].values == 0)
    assert float(ds["hip_contact_force_resultant"].max()) < 1.0              # the passive muscles' pull
    assert float(ds["muscle_force"].max()) > 0.0
    assert "examiner_moment" in ds and np.isfinite(ds["examiner_moment"].values).all()
    assert float(ds["impingement_clearance"].min()) > 0.0                   # no bone met


def test_a_pathological_cam_overlaps_the_anterosuperior_rim_in_fadir():
    ds = simulate(load_config({"activity": {"kind": "fadir"},
                               "morphology": {"alpha_angle_deg": 78.0, "cam_clock": 3.0}}))
    clearance = ds["impingement_clearance"].values
    assert clearance[-1] < 0.0 and float(ds["impingement_overlap_area"].values[-1]) > 0.0
    clock = float(ds["impingement_clock"].values[-1])
    assert clock >= 11.5 or clock <= 3.0               # 12 to 3 o'clock on a right hip
    first_overlap = int(np.flatnonzero(clearance < 0)[0])
    assert first_overlap > 50                          # during adduction and internal rotation


def test_internal_rotation_falls_with_the_alpha_angle():
    """At 90 deg flexion for an anterior cam (3 o'clock); at 60 deg for one at 1:30."""
    def ir(alpha, clock, flexion):
        rom = {"flexion_start_deg": flexion, "flexion_stop_deg": flexion, "tolerance_deg": 0.2}
        morphology = {"cam_clock": clock} if alpha is None else {"alpha_angle_deg": alpha, "cam_clock": clock}
        return float(range_of_motion(load_config({"rom": rom, "morphology": morphology}))["max_internal_rotation"][0])
    anterior = [ir(a, 3.0, 90.0) for a in (None, 60.0, 78.0)]
    assert anterior[0] > anterior[1] > anterior[2] and anterior[0] - anterior[2] > 8.0
    superior = [ir(a, 1.5, 60.0) for a in (None, 65.0, 78.0)]
    assert superior[0] > superior[1] > superior[2]


def test_range_of_motion_of_the_default_hip():
    ds = range_of_motion(load_config({"rom": {"flexion_step_deg": 30.0, "tolerance_deg": 0.2}}))
    assert int(ds["flexion_status"]) == 0                      # flexion is ended by bone ...
    assert 100.0 < float(ds["max_flexion"]) < 140.0             # ... within the CT studies' range
    at90 = ds.sel(flexion=90.0)
    assert int(at90["internal_rotation_status"]) == 0
    assert 17.9 <= float(at90["max_internal_rotation"]) <= 37.9   # Audenaert 2012: 27.9 +- 10
    free = ds["internal_rotation_status"].values == 1
    assert np.all(np.isnan(ds["max_internal_rotation"].values[free]))     # never the search limit
    assert float(ds.sel(flexion=90.0)["max_internal_rotation_adducted"]) < float(at90["max_internal_rotation"])
