"""Trial files and the built-in gait library."""
import numpy as np
import pytest

from hipsim import InputError
from hipsim.gait import (LIBRARY, _right_foot_columns, file_trial, library_trial,
                         read_opensim_table, supported_speeds)

from conftest import reference_path

HEADER = "name trial\ninDegrees=yes\nendheader\n"
COORDS = ["pelvis_tilt", "pelvis_list", "pelvis_rotation", "pelvis_tx", "pelvis_ty", "pelvis_tz",
          "hip_flexion_r", "hip_adduction_r", "hip_rotation_r", "knee_angle_r", "ankle_angle_r"]


def _write_table(path, columns, rows):
    lines = [HEADER + "\t".join(columns)] + ["\t".join(f"{v:.6f}" for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def _synthetic_trial(tmp_path, n=300, duration=3.0):
    t = np.linspace(0, duration, n)
    coords = np.zeros((n, len(COORDS)))
    coords[:, COORDS.index("hip_flexion_r")] = 20 * np.sin(2 * np.pi * t)
    coords[:, COORDS.index("pelvis_ty")] = 0.95
    motion = _write_table(tmp_path / "m.mot", ["time"] + COORDS, np.column_stack([t, coords]))
    vy = np.where(np.sin(2 * np.pi * t) > 0, 700 * np.sin(2 * np.pi * t), 0.0)
    grf_cols = ["time", "ground_force_r_vx", "ground_force_r_vy", "ground_force_r_vz",
                "ground_force_r_px", "ground_force_r_py", "ground_force_r_pz",
                "ground_force_l_vx", "ground_force_l_vy", "ground_force_l_vz",
                "ground_force_l_px", "ground_force_l_py", "ground_force_l_pz"]
    rows = np.column_stack([t, 0 * t, vy, 0 * t, 0.1 + 0 * t, 0 * t, 0.1 + 0 * t] + [0 * t] * 6)
    grf = _write_table(tmp_path / "g.mot", grf_cols, rows)
    return motion, grf


def test_file_trial_takes_the_first_right_cycle(tmp_path):
    motion, grf = _synthetic_trial(tmp_path)
    trial = file_trial(motion, grf, 51, 6.0)
    assert trial.stride_time == pytest.approx(1.0, abs=0.02)
    assert trial.grf[0, 1] < 50 and trial.grf[12, 1] > 500
    assert len(trial.time) == 51


@pytest.mark.parametrize("mutate, message", [
    (lambda text: text.replace("hip_adduction_r", "hip_add"), "missing coordinate columns"),
    (lambda text: text.rsplit("\n", 40)[0] + "\n1.0\t2.0\n", "truncated or ragged"),
    (lambda text: text.replace("endheader", "end"), "endheader"),
    (lambda text: text.replace("0.000000", "nan", 1), "NaN"),
    (lambda text: "\x00\xff binary garbage", "endheader"),
])
def test_broken_motion_files_are_input_errors(tmp_path, mutate, message):
    motion, grf = _synthetic_trial(tmp_path)
    motion.write_text(mutate(motion.read_text()))
    with pytest.raises(InputError) as exc:
        file_trial(motion, grf, 51, 6.0)
    assert exc.value.where == str(motion)
    assert message in exc.value.message


def test_a_motion_shorter_than_a_cycle_runs_its_own_span_and_says_so(tmp_path):
    """Kinematics without a whole right cycle inside (RRA's, say) run over their own time span,
    with a warning; a window outside them is still an error."""
    from hipsim.errors import InputWarning
    motion, grf = _synthetic_trial(tmp_path)
    (tmp_path / "short").mkdir()
    short, _ = _synthetic_trial(tmp_path / "short", n=100, duration=1.0)
    with pytest.warns(InputWarning, match="no complete right gait cycle inside its 0.000-1.000 s"):
        trial = file_trial(short, grf, 51, 6.0)
    assert trial.time[-1] == pytest.approx(1.0) and trial.gait_phase[-1] == 100.0
    with pytest.raises(InputError) as exc:
        file_trial(short, grf, 51, 6.0, time_range=(0.5, 1.5))
    assert "covers" in exc.value.message


def test_hamner_rra_kinematics_run_unedited_over_their_own_span():
    """OpenSim's Hamner RRA kinematics (0.7-1.599 s, less than a stride) with the trial's
    External_Loads.xml (its data file) and RRA-adjusted model, nothing given but the belt speed."""
    from hipsim import simulate
    from hipsim.errors import InputWarning
    base = "opensim/hamner2010_running/"
    with pytest.warns(InputWarning, match="ran 0.700-1.599 s"):
        ds = simulate({"model": {"osim_file": str(reference_path(base + "subject02_RRA_Adjusted.osim"))},
                       "activity": {"kind": "running", "speed_m_s": 3.84, "filter_hz": None, "frames": 91,
                                    "motion_file": str(reference_path(base + "rra_run_1_Kinematics_q.sto")),
                                    "external_loads": str(reference_path(base + "External_Loads.xml"))}})
    assert ds.attrs["body_mass_kg"] == pytest.approx(65.9, abs=0.05)
    assert float(ds["time"][-1]) == pytest.approx(0.899) and ds["stance"].any() and not ds["stance"].all()


def test_grf_without_two_right_strikes_is_rejected(tmp_path):
    motion, grf = _synthetic_trial(tmp_path)
    text = grf.read_text().splitlines()
    cols = text[3].split("\t")
    rows = np.array([[float(v) for v in line.split("\t")] for line in text[4:]])
    rows[:, cols.index("ground_force_r_vy")] = 0.0
    _write_table(grf, cols, rows)
    with pytest.raises(InputError) as exc:
        file_trial(motion, grf, 51, 6.0)
    assert exc.value.where == str(grf)


LOADS_XML = """<?xml version="1.0" encoding="UTF-8" ?>
<OpenSimDocument Version="30516"><ExternalLoads name="loads"><objects>
  <ExternalForce name="left"><applied_to_body>calcn_l</applied_to_body>
    <force_expressed_in_body>ground</force_expressed_in_body><point_expressed_in_body>ground</point_expressed_in_body>
    <force_identifier>ground_force_r_v</force_identifier><point_identifier>ground_force_r_p</point_identifier>
  </ExternalForce>
  <ExternalForce name="right"><applied_to_body>calcn_r</applied_to_body>
    <force_expressed_in_body>{frame}</force_expressed_in_body><point_expressed_in_body>ground</point_expressed_in_body>
    <force_identifier>ground_force_l_v</force_identifier><point_identifier>ground_force_l_p</point_identifier>
  </ExternalForce></objects><datafile>g.mot</datafile></ExternalLoads></OpenSimDocument>
"""


def _swap_feet(grf):
    """The synthetic GRF with its feet's columns swapped: the names now say the wrong foot."""
    text = grf.read_text()
    return grf.write_text(text.replace("ground_force_r_", "TMP_").replace("ground_force_l_", "ground_force_r_")
                          .replace("TMP_", "ground_force_l_"))


def test_external_loads_xml_decides_which_columns_are_the_right_foot(tmp_path):
    motion, grf = _synthetic_trial(tmp_path)
    by_name = file_trial(motion, grf, 51, 6.0)
    _swap_feet(grf)
    loads = tmp_path / "loads.xml"
    loads.write_text(LOADS_XML.format(frame="ground"))
    by_xml = file_trial(motion, None, 51, 6.0, external_loads=loads)       # the XML's data file
    np.testing.assert_array_equal(by_xml.grf, by_name.grf)
    np.testing.assert_array_equal(by_xml.cop, by_name.cop)
    with pytest.raises(InputError):                                            # names alone: no right cycle
        file_trial(motion, grf, 51, 6.0)


def test_external_loads_in_a_body_frame_are_refused(tmp_path):
    motion, grf = _synthetic_trial(tmp_path)
    loads = tmp_path / "loads.xml"
    loads.write_text(LOADS_XML.format(frame="calcn_r"))
    with pytest.raises(InputError) as exc:
        file_trial(motion, grf, 51, 6.0, external_loads=loads)
    assert exc.value.where == str(loads) and "ground" in exc.value.message


def test_a_time_range_runs_the_window_as_given(tmp_path):
    motion, grf = _synthetic_trial(tmp_path)
    trial = file_trial(motion, grf, 41, None, time_range=(0.1, 0.4))          # part of one stance
    assert trial.stride_time == pytest.approx(0.3) and len(trial.time) == 41
    assert np.all(trial.grf[:, 1] > 200)
    with pytest.raises(InputError) as exc:
        file_trial(motion, grf, 41, None, time_range=(2.5, 3.5))
    assert exc.value.where == "activity.time_range"


def test_rows_written_twice_at_one_time_do_not_reach_the_spline(tmp_path):
    motion, grf = _synthetic_trial(tmp_path)
    lines = motion.read_text().rstrip("\n").split("\n")
    last = lines[-1].split("\t")
    lines.insert(len(lines) - 1, "\t".join([f"{float(last[0]) - 1e-13:.15f}"] + last[1:]))
    motion.write_text("\n".join(lines) + "\n")
    trial = file_trial(motion, grf, 41, None, time_range=(2.0, 3.0))
    acc = trial.coordinates(trial.time, 2)
    assert np.all(np.isfinite(acc)) and np.abs(acc).max() < 100


def test_hamner_trial_through_its_external_loads_tracks_opensim():
    """OpenSim's own Hamner run, same inputs (RRA model and kinematics, GRF mapped by the trial's
    External_Loads.xml, the joint-reaction window): the hip contact force follows OpenSim's."""
    from hipsim import simulate
    base = "opensim/hamner2010_running/"
    ref = np.loadtxt(reference_path("opensim/results/run_hamner_100Hz/hip_r_resultant_partial.txt"))
    ds = simulate({"subject": {"mass_kg": 65.9},
                   "model": {"osim_file": str(reference_path(base + "subject02_RRA_Adjusted.osim"))},
                   "activity": {"kind": "running", "frames": len(ref), "filter_hz": None,
                                "motion_file": str(reference_path(base + "rra_run_1_Kinematics_q.sto")),
                                "external_loads": str(reference_path(base + "External_Loads.xml")),
                                "grf_file": str(reference_path(base + "subject02_running_grf.mot")),
                                "time_range": [float(ref[0, 0]), float(ref[-1, 0])]}})
    force = ds["hip_contact_force_resultant"].values
    assert np.corrcoef(force, ref[:, 2])[0, 1] > 0.95
    assert force.max() == pytest.approx(ref[:, 2].max(), rel=0.1)


def test_opensim_walking_trial_unedited_matches_opensim_with_its_minimum_activation():
    """OpenSim's gait2392 walking example as shipped: its model, RRA kinematics and
    foot_floor_loads.xml (which names its data file and applies the left foot's torque columns
    to the right foot, as OpenSim then does), nothing edited or renamed. The body weight is the
    model's (72.6 kg, no subject key given). With OpenSim's minimum activation (0.01) the hip
    contact force follows OpenSim SO + JR within r 0.99 and 0.1 BW on average; without it every
    muscle idles at zero and the force is lower on average."""
    from hipsim import simulate
    base = "opensim/gait2392_walk_SO_JR/"
    ref = np.loadtxt(reference_path("opensim/results/walk_gait2392_100Hz/hip_r_resultant_cycle.txt"))
    config = {"model": {"osim_file": str(reference_path(base + "subject01_simbody_adjusted_StaticOp.osim"))},
              "activity": {"kind": "walking", "frames": 101, "filter_hz": None,
                           "motion_file": str(reference_path(base + "subject01_walk1_Kinematics.sto")),
                           "external_loads": str(reference_path(base + "foot_floor_loads.xml"))}}
    differences = {}
    for min_activation in (0.0, 0.01):
        ds = simulate(config, solver={"min_activation": min_activation})
        assert ds.attrs["body_mass_kg"] == pytest.approx(72.6) and ds.attrs["failed_frames"] == 0
        opensim = np.interp(ds["gait_phase"].values, ref[:, 1], ref[:, 2])
        force = ds["hip_contact_force_resultant"].values
        differences[min_activation] = (np.corrcoef(force, opensim)[0, 1], np.mean(force - opensim))
    r, mean = differences[0.01]
    assert r >= 0.99 and abs(mean) <= 0.1
    assert differences[0.0][1] < mean - 0.1

@pytest.mark.parametrize("prefix", ["ground_force_r_", "right_foot_force_", "r_ground_force_"])
def test_right_foot_columns_by_common_names(prefix):
    cols = ["time"] + [prefix + s for s in ("vx", "vy", "vz", "px", "py", "pz")] + \
           ["ground_force_l_vx", "ground_force_l_px"]
    names = _right_foot_columns(cols, "f")
    assert names["force"][1] == prefix + "vy"


def test_unlabelled_feet_are_rejected():
    cols = ["time", "ground_force_vx", "ground_force_vy", "ground_force_vz", "ground_force_px",
            "ground_force_py", "ground_force_pz"]
    with pytest.raises(InputError):
        _right_foot_columns(cols, "f")


def test_reads_opensim_reference_files():
    cols, data, deg = read_opensim_table(reference_path("opensim/gait2392_pipeline/subject01_walk1_ik.mot"))
    assert cols[0] == "time" and deg is True and data.shape[1] == len(cols)


@pytest.mark.parametrize("kind, name", [(k, n) for k in sorted(LIBRARY) for n in sorted(LIBRARY[k])])
def test_library_cycles_are_complete_and_periodic(kind, name):
    trial = library_trial(kind, None, 101, 700.0, trial=name)
    q0, q1 = trial.coordinates(np.array([0.0, trial.stride_time]))
    assert np.allclose(np.delete(q0, 3), np.delete(q1, 3), atol=1e-9)  # all but forward progression
    vertical = trial.grf[:, 1] / 700.0
    assert vertical[0] > 0.02, "frame 0 is right foot strike"
    assert 0.9 < vertical.max() < 6.0
    assert np.all(np.isfinite(trial.cop)) and np.all(np.isfinite(trial.grf))


def test_measured_running_trial_is_one_runners_mean_stride():
    """Hamner 2010 subject02: the right foot carries half the body weight over the cycle (two
    feet, no flight impulse lost), its stride and speed are the treadmill's."""
    trial = library_trial("running", None, 101, 700.0, trial="hamner2010")
    assert trial.cop_frame == "ground" and trial.speed == pytest.approx(3.84, abs=0.01)
    assert trial.stride_time == pytest.approx(0.69, abs=0.005)
    mean_vertical = np.trapezoid(trial.grf[:, 1], trial.time) / trial.stride_time / 700.0
    assert mean_vertical == pytest.approx(0.5, abs=0.03)
    stance = trial.grf[:-1, 1] > 0.0          # the last frame is the next foot strike, a stride on
    cop = trial.cop[:-1][stance, 0]
    # the CoP lies under the stance foot, ahead of where the pelvis was at foot strike and
    # rolling forward with the body; the next strike is one stride further on
    assert np.all(cop > 0.0) and np.all(cop < 0.6) and cop[-1] > cop[0] + 0.2
    assert trial.cop[-1, 0] - trial.cop[0, 0] == pytest.approx(trial.speed * trial.stride_time, rel=1e-3)



def test_sprint_is_the_runners_measured_force_under_the_forefoot():
    """Dorn 2012 JA1's sprint: the force plates of the same trial, not a spring-mass model.
    The right foot's impulse is about half a body weight over the stride (0.52 BW; both feet
    together 0.993 BW, the plates' own mass check), contact lasts about a quarter of the stride,
    the force peaks around 3.2 BW, and the CoP (ground frame, like Hamner's) lies ahead of the
    pelvis at foot strike and barely rolls: a forefoot contact."""
    trial = library_trial("sprinting", None, 101, 700.0)
    assert "measured GRF" in trial.source and trial.cop_frame == "ground"
    vertical = trial.grf[:, 1] / 700.0
    assert np.trapezoid(vertical, trial.time) / trial.stride_time == pytest.approx(0.5, abs=0.03)
    toe_off = np.flatnonzero(vertical[1:] == 0.0)[0] + 1
    assert 20 <= toe_off <= 30 and 2.8 < vertical.max() < 3.6
    cop = trial.cop[:toe_off, 0]
    assert np.all((cop > 0.1) & (cop < 0.5)) and 0.0 < cop[-1] - cop[0] < 0.15
    assert trial.cop[-1, 0] - trial.cop[0, 0] == pytest.approx(trial.speed * trial.stride_time, rel=1e-3)
    # forces that a spring-mass model lacks: braking then propulsion, and a sideways component
    assert trial.grf[:toe_off, 0].min() < -0.25 * 700 and trial.grf[:toe_off, 0].max() > 0.4 * 700
    assert np.abs(trial.grf[:toe_off, 2]).max() > 0.05 * 700


def test_measured_running_cycle_carried_to_other_speeds_follows_the_speed_trends():
    """Hamner's cycle at 2.5-4.5 m/s (Fukuchi's speed effects): faster running has shorter
    strides, shorter contact and higher vertical force; the impulse stays half a body weight."""
    trials = [library_trial("running", v, 101, 700.0, trial="hamner2010") for v in (2.5, 3.5, 3.839, 4.5)]
    strides = [t.stride_time for t in trials]
    contact = [np.flatnonzero(t.grf[1:, 1] == 0)[0] + 1 for t in trials]
    peaks = [t.grf[:, 1].max() for t in trials]
    contact_s = [c / 100.0 * t for c, t in zip(contact, strides)]
    assert np.all(np.diff(strides) < 0) and np.all(np.diff(peaks) > 0)
    assert contact_s[0] > contact_s[1] > contact_s[3] and contact_s[0] - contact_s[3] > 0.08
    for t in trials:
        assert np.trapezoid(t.grf[:, 1], t.time) / t.stride_time / 700.0 == pytest.approx(0.5, abs=0.02)
    measured = library_trial("running", None, 101, 700.0, trial="hamner2010")
    assert measured.speed == pytest.approx(3.839) and measured.stride_time == trials[2].stride_time


def test_an_unknown_library_trial_names_the_key_and_the_choices():
    with pytest.raises(InputError) as exc:
        library_trial("running", None, 101, 700.0, trial="nobody2020")
    assert exc.value.where == "activity.trial"
    assert "fukuchi2017" in exc.value.message and "hamner2010" in exc.value.message


def test_a_trial_refuses_speeds_it_does_not_cover():
    with pytest.raises(InputError) as exc:
        library_trial("running", 5.0, 101, 700.0, trial="hamner2010")
    assert exc.value.where == "activity.speed_m_s" and "hamner2010" in exc.value.message


def test_running_interpolates_between_trials():
    lo = library_trial("running", 2.5, 101, 700.0)
    hi = library_trial("running", 3.5, 101, 700.0)
    mid = library_trial("running", 3.0, 101, 700.0)
    assert mid.stride_time == pytest.approx(0.5 * (lo.stride_time + hi.stride_time))
    assert mid.speed == 3.0
    # one toe-off, between the two: each trial is warped onto it before the blend (a plain
    # blend would leave half the slower trial's force on after the faster one's toe-off)
    toe_off = [np.flatnonzero(t.grf[1:, 1] == 0)[0] + 1 for t in (lo, mid, hi)]
    assert toe_off[2] < toe_off[1] < toe_off[0]
    assert np.all(mid.grf[toe_off[1]:-1, 1] == 0)
    mean_force = [np.trapezoid(t.grf[:, 1], t.time) / t.stride_time / 700.0 for t in (lo, mid, hi)]
    assert mean_force[1] == pytest.approx(0.5, abs=0.03)


@pytest.mark.parametrize("kind, speed", [("running", 2.0), ("running", 6.0), ("walking", 3.0), ("sprinting", 5.0)])
def test_speed_outside_the_supported_range(kind, speed):
    with pytest.raises(InputError) as exc:
        library_trial(kind, speed, 101, 700.0)
    assert exc.value.where == "activity.speed_m_s"
    lo, hi = supported_speeds(kind)
    assert f"{lo:.2f}" in exc.value.message


def test_a_treadmill_trial_warns_and_takes_the_belt_speed():
    """Hamner's treadmill trial: its pelvis hardly travels, so per-km measures from it would be
    ~75x too large; hipsim warns, and activity.speed_m_s (the belt) sets the speed instead."""
    import warnings
    from hipsim import simulate
    from hipsim.errors import InputWarning
    base = "opensim/hamner2010_running/"
    config = {"model": {"osim_file": str(reference_path(base + "subject02_RRA_Adjusted.osim"))},
              "activity": {"kind": "running", "frames": 51,
                           "motion_file": str(reference_path(base + "subject02_running_ik.mot")),
                           "external_loads": str(reference_path(base + "External_Loads.xml")),
                           "grf_file": str(reference_path(base + "subject02_running_grf.mot"))}}
    with pytest.warns(InputWarning, match="treadmill trial needs activity.speed_m_s"):
        drifting = simulate(config)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)
        belt = simulate(config, activity={"speed_m_s": 3.84})
    assert drifting.attrs["speed_m_s"] < 0.2 and belt.attrs["speed_m_s"] == 3.84
    per_km = float(belt["cumulative_load_per_km"])
    assert 300 < per_km < 3000 and float(drifting["cumulative_load_per_km"]) > 20 * per_km


def test_c3d_force_plates_match_an_independent_conversion_of_the_same_trial():
    """Dorn's sprint C3D through hipsim (ezc3d, plates 2 and 7, the markers' two turns) against
    the same plates converted upstream with btk (sprint_grf.mot): the same force and centre of
    pressure, the upstream file ~10 ms late because it was low-passed with a causal filter
    (convertData.py's lfilter, 50 Hz 4th order)."""
    pytest.importorskip("ezc3d")
    from conftest import ROOT
    from hipsim.c3d import read_c3d_grf
    folder = ROOT / "tools" / "data" / "dorn2012"
    cols, ours = read_c3d_grf(folder / "JA1Gait35.c3d", [2, 7], [("z", -90), ("x", -90)])
    m_cols, theirs, _ = read_opensim_table(folder / "sprint_grf.mot")
    assert cols[:4] == ["time", "ground_force_r_vx", "ground_force_r_vy", "ground_force_r_vz"]
    i, j = np.argmax(ours[:, 2]), np.argmax(theirs[:, m_cols.index("ground_force_r_vy")])
    assert ours[i, 2] == pytest.approx(theirs[j, m_cols.index("ground_force_r_vy")], rel=0.01)
    assert 0.005 < theirs[j, 0] - ours[i, 0] < 0.015
    point = [m_cols.index(f"ground_force_r_p{a}") for a in "xyz"]
    assert np.allclose(ours[i, 4:7], theirs[j, point], atol=0.005)
    stride = (ours[:, 0] > 0.35) & (ours[:, 0] < 0.82)
    impulse = np.trapezoid(ours[stride, 2], ours[stride, 0])
    assert impulse / (0.46 * 75.9 * 9.81) == pytest.approx(0.52, abs=0.02)


def test_a_c3d_trial_runs_with_its_plates_and_rotations_or_exits_naming_the_key():
    pytest.importorskip("ezc3d")
    from conftest import ROOT
    from hipsim import simulate
    activity = {"kind": "sprinting", "motion_file": str(reference_path("running/dorn2012_sprint_9ms_ik.mot")),
                "grf_file": str(ROOT / "tools" / "data" / "dorn2012" / "JA1Gait35.c3d"),
                "c3d_right_plates": [2, 7], "filter_hz": 12,
                "c3d_rotation_deg": [{"axis": "z", "deg": -90}, {"axis": "x", "deg": -90}],
                "time_range": [0.36, 0.81]}
    ds = simulate({"activity": activity, "subject": {"mass_kg": 75.9}})
    assert 3.0 < float(ds["grf"].sel(lab_axis="superior").max()) < 3.4 and ds["stance"][0]
    for change, key in (({"c3d_right_plates": [9]}, "activity.c3d_right_plates"),
                        ({"c3d_rotation_deg": []}, "activity.c3d_rotation_deg"),
                        ({"c3d_right_plates": None}, "activity.c3d_right_plates")):
        with pytest.raises(InputError) as err:
            simulate({"activity": {**activity, **change}})
        assert err.value.where == key


def test_a_damaged_c3d_is_an_input_error(tmp_path):
    pytest.importorskip("ezc3d")
    from hipsim.c3d import read_c3d_grf
    bad = tmp_path / "trial.c3d"
    bad.write_bytes(b"\x02\x50" + bytes(range(256)) * 3)
    with pytest.raises(InputError, match="cannot read the C3D") as err:
        read_c3d_grf(bad, [1])
    assert err.value.where == str(bad)


@pytest.mark.parametrize("cutoff, fs", [(6.0, 100.0), (12.0, 1500.0), (12.0, 60.0)])
def test_the_low_pass_is_scipys_butterworth_filtfilt(cutoff, fs):
    """hipsim's own 2nd-order Butterworth forwards and backwards (numpy; scipy.signal cost a
    fresh process ~1 s to import) gives scipy.signal's butter + filtfilt to rounding."""
    from scipy.signal import butter, filtfilt
    from hipsim.gait import _lowpass, butterworth2
    b, a = butter(2, cutoff / (0.5 * fs))
    assert np.allclose(butterworth2(cutoff, fs), (b, a), rtol=0, atol=1e-15)
    x = np.random.default_rng(1).normal(size=(400, 3)).cumsum(axis=0)
    assert np.allclose(_lowpass(x, fs, cutoff), filtfilt(b, a, x, axis=0, padlen=9), rtol=0, atol=1e-10)


def test_a_table_is_parsed_once_per_file_version_and_handed_out_as_copies(tmp_path):
    columns = ["time", "hip_flexion_r"]
    path = _write_table(tmp_path / "m.mot", columns, [[t, 10.0 * t] for t in range(6)])
    _, first, _ = read_opensim_table(path)
    first[:, 1] = -1.0                                      # the caller's copy, not the cache
    _, again, _ = read_opensim_table(path)
    assert again[2, 1] == 20.0
    _write_table(path, columns, [[t, 30.0 * t] for t in range(7)])   # edited: another version
    _, edited, _ = read_opensim_table(path)
    assert edited.shape == (7, 2) and edited[2, 1] == 60.0


def test_the_left_leg_runs_mirrored_and_tracks_opensims_left_hip():
    """Hamner's run, left leg: its *_l coordinates and the XML's calcn_l force, mirrored onto the
    right-leg model, follow OpenSim's hip_l over the left cycle (and not its right hip)."""
    from hipsim import simulate
    base = "opensim/hamner2010_running/"
    ref = np.loadtxt(reference_path("opensim/results/run_hamner_100Hz/hip_l_resultant_leftcycle.txt"))
    activity = {"kind": "running", "frames": len(ref), "filter_hz": None, "speed_m_s": 3.84,
                "motion_file": str(reference_path(base + "rra_run_1_Kinematics_q.sto")),
                "external_loads": str(reference_path(base + "External_Loads.xml")),
                "time_range": [float(ref[0, 0]), float(ref[-1, 0])]}
    model = {"osim_file": str(reference_path(base + "subject02_RRA_Adjusted.osim"))}
    left = simulate({"model": model, "activity": {**activity, "leg": "left"}})
    right = simulate({"model": model, "activity": activity})
    force = left["hip_contact_force_resultant"].values
    assert np.corrcoef(force, ref[:, 2])[0, 1] > 0.95
    assert np.corrcoef(right["hip_contact_force_resultant"].values, ref[:, 2])[0, 1] < 0.0
    assert force.max() == pytest.approx(ref[:, 2].max(), rel=0.15)
    stance = left["stance"].values
    assert (left["hip_contact_force"].sel(axis="lateral").values[stance] < 0).mean() > 0.9   # medial, as a right hip
    assert "left leg" in left.attrs["trial_source"]
    with pytest.raises(InputError, match="activity.leg"):
        simulate({"activity": {"kind": "running", "leg": "left"}})
