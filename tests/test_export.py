"""``hipsim export``: OpenSim storage files read back by OpenSim, a tidy CSV, a ParaView series
read back by pyvista; bad requests exit 2 with nothing written."""
import csv

import numpy as np
import pytest
import xarray as xr

from hipsim.cli import main


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "walk.nc"
    assert main(["run", "--set", "activity.kind=walking", "--set", "activity.frames=11", "-o", str(out)]) == 0
    return out


def test_sto_files_read_back_in_opensim(result, tmp_path, capsys):
    opensim = pytest.importorskip("opensim")
    ds = xr.load_dataset(result)
    assert main(["export", str(result), "--format", "sto", "-o", str(tmp_path / "walk")]) == 0
    reaction = opensim.TimeSeriesTable(str(tmp_path / "walk_JointReaction.sto"))
    assert list(reaction.getColumnLabels()) == [f"hip_r_on_pelvis_in_pelvis_f{a}" for a in "xyz"]
    assert reaction.getNumRows() == 11
    fy = reaction.getDependentColumn("hip_r_on_pelvis_in_pelvis_fy").to_numpy()
    assert np.allclose(fy, ds["hip_contact_force"].sel(axis="superior").values * ds.attrs["body_weight_n"], rtol=1e-8)
    times = np.array(reaction.getIndependentColumn())
    assert np.allclose(times, ds["time"].values)
    forces = opensim.TimeSeriesTable(str(tmp_path / "walk_StaticOptimization_force.sto"))
    assert list(forces.getColumnLabels()) == [str(m) for m in ds["muscle"].values]
    glmax = forces.getDependentColumn("glut_max1_r").to_numpy()
    assert np.allclose(glmax, ds["muscle_force"].sel(muscle="glut_max1_r").values, rtol=1e-8)
    activation = opensim.TimeSeriesTable(str(tmp_path / "walk_StaticOptimization_activation.sto"))
    assert activation.getNumColumns() == ds.sizes["muscle"]


def test_csv_is_tidy_and_carries_every_value(result, tmp_path, capsys):
    ds = xr.load_dataset(result)
    out = tmp_path / "walk.csv"
    assert main(["export", str(result), "--format", "csv", "-o", str(out)]) == 0
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["variable", "label", "frame", "gait_phase", "time", "value", "units"]
    hcf = [r for r in rows if r["variable"] == "hip_contact_force" and r["label"] == "superior"]
    assert [float(r["value"]) for r in hcf] == pytest.approx(ds["hip_contact_force"].sel(axis="superior").values.tolist())
    assert {r["units"] for r in hcf} == {"BW"}
    muscle = [r for r in rows if r["variable"] == "muscle_force"]
    assert len(muscle) == 11 * ds.sizes["muscle"]
    per_km = [r for r in rows if r["variable"] == "cumulative_load_per_km"]
    assert len(per_km) == 1 and per_km[0]["frame"] == ""


def test_vtp_series_opens_as_a_time_collection(result, tmp_path, capsys):
    pv = pytest.importorskip("pyvista")
    folder = tmp_path / "series"
    assert main(["export", str(result), "--format", "vtp", "-o", str(folder)]) == 0
    reader = pv.get_reader(str(folder / "hip.pvd"))
    assert len(reader.time_values) == 11
    ds = xr.load_dataset(result)
    reader.set_active_time_value(reader.time_values[5])
    blocks = reader.read()
    names = [blocks.get_block_name(i) for i in range(blocks.n_blocks)]
    assert len(names) == 4
    femur, cartilage, rim = (blocks[i] for i in range(1, 4))
    assert femur.n_cells > 1000 and set(np.unique(femur.cell_data["region"])) <= {0, 1, 2, 3}
    pressure = cartilage.cell_data["contact_pressure"]
    assert pressure.max() == pytest.approx(float(ds["contact_pressure_peak"][5]), rel=1e-5)
    assert rim.point_data["clearance"].min() > -5.0
    # the femur moves from frame to frame, the hip bone does not
    reader.set_active_time_value(reader.time_values[0])
    first = reader.read()
    assert not np.allclose(first[1].points, femur.points) and np.allclose(first[0].points, blocks[0].points)


@pytest.mark.parametrize("args", [
    ["--format", "csv", "-o", "{tmp}/missing/out.csv"],
    ["--format", "csv", "-o", "{tmp}"],
    ["--format", "sto", "-o", "{tmp}"],
])
def test_bad_outputs_exit_2_and_write_nothing(result, tmp_path, capsys, args):
    before = sorted(tmp_path.iterdir())
    assert main(["export", str(result), *[a.format(tmp=tmp_path) for a in args]]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert sorted(tmp_path.iterdir()) == before


def test_only_run_results_export(tmp_path, capsys):
    rom = tmp_path / "rom.nc"
    assert main(["rom", "--set", "rom.flexion_start_deg=80", "--set", "rom.flexion_stop_deg=90", "-o", str(rom)]) == 0
    assert main(["export", str(rom), "--format", "csv", "-o", str(tmp_path / "x.csv")]) == 2
    assert main(["export", str(tmp_path / "nothing.nc"), "--format", "csv", "-o", str(tmp_path / "x.csv")]) == 2
    assert not (tmp_path / "x.csv").exists()
