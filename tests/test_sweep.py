"""Parameter sweeps (issue 6): designs, chunks, local workers, Zarr/NetCDF stores, resume after a
kill, progress, model reuse and bad specs."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import xarray as xr
import yaml

from hipsim import InputError, load_config, open_sweep, simulate, sweep
from hipsim.cli import main
from hipsim.sweep_design import chunk_shape, chunks, design, latin_hypercube
from hipsim.sweep_store import partial_path

BASE = {"activity": {"kind": "walking", "frames": 21}}
RUNNING = {"activity": {"kind": "running", "speed_m_s": 3.5}}


def _config(sweep_section, base=BASE):
    return load_config({**base, "sweep": sweep_section})


@pytest.fixture(scope="module")
def grid():
    config = _config({"design": "grid", "axes": {"strength.gluteus_medius": [0.6, 1.0],
                                                 "subject.mass_kg": {"start": 60, "stop": 80, "num": 2}}})
    return config, sweep(config, workers=2)


def test_grid_has_one_dimension_per_key_and_matches_single_runs(grid):
    config, ds = grid
    assert ds["hip_contact_force_resultant"].dims == ("strength.gluteus_medius", "subject.mass_kg", "frame")
    np.testing.assert_allclose(ds["subject.mass_kg"], [60.0, 80.0])
    single = simulate(load_config({**BASE, "strength": {"gluteus_medius": 0.6}, "subject": {"mass_kg": 80.0}}))
    point = ds.sel({"strength.gluteus_medius": 0.6, "subject.mass_kg": 80.0})
    for name in ("hip_contact_force", "muscle_force", "contact_pressure_peak", "tendon_force", "solver_status"):
        np.testing.assert_array_equal(point[name].values, single[name].values)
    np.testing.assert_array_equal(point["time"].values, single["time"].values)
    assert float(point["stride_time"]) == single.attrs["stride_time_s"]
    assert ds.attrs["sweep_points"] == 4 and "sweep" in ds.attrs["config"]
    assert ds.attrs["failed_frames"] == int((ds["solver_status"] != 0).sum())
    assert ds["hip_contact_force"].attrs["units"] == "BW" and "point_done" not in ds


@pytest.mark.parametrize("section", [
    {"design": "grid", "axes": {"activity.kind": ["walking"], "strength.gluteus_medius": [0.6, 1.0, 0.8]}},
    {"design": "lhs", "samples": 5, "seed": 2, "axes": {"strength.gluteus_medius": [0.5, 1.0]}},
])
def test_a_new_store_is_byte_for_byte_what_xarray_writes_for_dask_zeros(tmp_path, section):
    import dask.array as da
    from hipsim.sweep_store import DONE, SHARED_ATTRS, SweepStore
    from hipsim.sweeps import prepare, run_points
    config, d, shape, _ = prepare(_config(section))
    base = config.to_dict()
    base.pop("sweep")
    _, template = run_points(base, [d.points[0]])
    store = SweepStore(tmp_path / "new.zarr", d, shape, config.to_yaml(), {"sweep_points": d.n_points})
    store.open(False)
    store.create(template)
    # the reference: the whole layout through xarray, data variables as lazy zeros
    data_vars = {name: xr.Variable(d.dims + v.dims, da.zeros(d.shape + v.shape, dtype=v.dtype, chunks=shape + v.shape),
                                   v.attrs) for name, v in template.data_vars.items()}
    data_vars[DONE] = xr.Variable(d.dims, da.zeros(d.shape, dtype=np.int8, chunks=shape))
    coords = {**template.coords, **{k: (dims, values) for k, (dims, values) in d.coords.items()}}
    reference = xr.Dataset(data_vars, coords=coords, attrs={
        **{k: template.attrs[k] for k in SHARED_ATTRS if k in template.attrs},
        "config": config.to_yaml(), "sweep_points": d.n_points})
    reference.to_zarr(tmp_path / "ref.zarr", mode="w-", compute=False, zarr_format=2, consolidated=True,
                      encoding={name: {"chunks": var.data.chunksize} for name, var in data_vars.items()})
    ours = {p.relative_to(store.path): p.read_bytes() for p in store.path.rglob("*") if p.is_file()}
    theirs = {p.relative_to(tmp_path / "ref.zarr"): p.read_bytes() for p in (tmp_path / "ref.zarr").rglob("*")
              if p.is_file()}
    assert sorted(ours) == sorted(theirs)
    assert [name for name in ours if ours[name] != theirs[name]] == []


def test_the_number_of_workers_does_not_change_the_numbers(grid):
    config, ds = grid
    serial = sweep(config, workers=1)
    xr.testing.assert_identical(serial, ds)


def test_lhs_samples_inside_the_bounds_and_repeat_with_the_seed():
    section = {"design": "lhs", "samples": 4, "seed": 3,
               "axes": {"strength.gluteus_medius": {"start": 0.5, "stop": 1.0, "num": 2},
                        "subject.mass_kg": [60.0, 75.0]}}
    a = sweep(_config(section), workers=1)
    b = sweep(_config(section), workers=1)
    assert a["hip_contact_force"].dims[0] == "sample" and a.sizes["sample"] == 4
    g = a["strength.gluteus_medius"].values
    assert np.all((g >= 0.5) & (g <= 1.0)) and np.all((a["subject.mass_kg"] >= 60) & (a["subject.mass_kg"] <= 75))
    assert len(np.unique(np.floor((g - 0.5) / 0.125))) == 4          # one sample per stratum
    xr.testing.assert_identical(a, b)


@pytest.mark.parametrize("n, d, seed", [(300, 3, 0), (4, 2, 3), (1, 1, 7), (1000, 5, 123)])
def test_latin_hypercube_gives_scipys_numbers(n, d, seed):
    from scipy.stats import qmc
    np.testing.assert_array_equal(latin_hypercube(n, d, seed), qmc.LatinHypercube(d=d, seed=seed).random(n))


def test_sobol_design_is_saltellis_a_b_and_ab_matrices():
    section = load_config({"sweep": {"design": "sobol", "samples": 8, "seed": 1, "axes": {
        "strength.gluteus_medius": {"start": 0.5, "stop": 1.0, "num": 2}, "subject.mass_kg": [60.0, 80.0],
        "form.pelvic_rotation_scale": [0.5, 1.5]}}}).sweep
    d = design(section)
    assert d.n_points == 8 * (3 + 2) and d.dims == ("sample",)
    x = np.column_stack([d.coords[k][1] for k in d.keys])
    block = d.coords["sobol_block"][1]
    a, b = x[block == 0], x[block == 4]
    for i in range(3):
        ab = x[block == i + 1]
        np.testing.assert_array_equal(ab[:, i], b[:, i])
        np.testing.assert_array_equal(np.delete(ab, i, axis=1), np.delete(a, i, axis=1))
    assert not np.allclose(a, b)
    np.testing.assert_array_equal(design(section).coords["sobol_block"][1], block)    # seeded


def test_chunks_tile_the_design_once_with_mesh_keys_one_value_wide():
    section = load_config({"sweep": {"axes": {"morphology.alpha_angle_deg": [45.0, 60.0, 75.0],
                                              "strength.gluteus_medius": {"start": 0.5, "stop": 1.0, "num": 20},
                                              "subject.mass_kg": {"start": 60, "stop": 80, "num": 9}}}}).sweep
    d = design(section)
    shape = chunk_shape(d)
    assert shape[0] == 1 and 1 < np.prod(shape) <= 128
    parts = chunks(d)
    covered = np.zeros(d.shape, int)
    for c in parts:
        covered[c.region] += 1
        np.testing.assert_array_equal(np.sort(c.points), np.arange(d.n_points).reshape(d.shape)[c.region].ravel())
    assert np.all(covered == 1)
    alpha_of_chunk = [c.region[0].start for c in parts]
    assert alpha_of_chunk == sorted(alpha_of_chunk)            # one morphology after the other
    assert len({c.index for c in parts}) == len(parts)


def test_a_strength_or_morphology_change_reuses_the_motion_and_meshes():
    from hipsim.pipeline import clearance_model, motion
    base = load_config(BASE)
    weak = load_config({**BASE, "strength": {"gluteus_medius": 0.5}})
    cam = load_config({**BASE, "morphology": {"alpha_angle_deg": 70.0}})
    assert motion(weak) is motion(base) and motion(cam) is motion(base)
    assert clearance_model(weak.morphology) is clearance_model(base.morphology)
    assert motion(load_config({**BASE, "strength": {"core": 0.6}})) is not motion(base)    # pelvis motion
    with pytest.raises(ValueError):
        motion(base).dynamics.q[0, 0] = 1.0                       # cached arrays are read-only


@pytest.mark.parametrize("section,key", [
    ({"axes": {}}, "sweep.axes"),
    ({"axes": {"strength.gluteus_mediuss": [0.5]}}, "strength.gluteus_mediuss"),
    ({"axes": {"strength.gluteus_medius": []}}, "sweep.axes.strength.gluteus_medius"),
    ({"design": "sobol", "samples": 6, "axes": {"subject.mass_kg": [60.0, 80.0]}}, "sweep.samples"),
    ({"design": "lhs", "axes": {"subject.mass_kg": [60.0, 80.0]}}, "sweep.samples"),
    ({"axes": {"strength.gluteus_medius": [-1.0]}}, "strength.gluteus_medius"),
    ({"axes": {"activity.frames": [21, 41]}}, "sweep.axes.activity.frames"),
    ({"axes": {"sweep.seed": [1, 2]}}, "sweep.axes.sweep.seed"),
    ({"design": "lhs", "samples": 4, "axes": {"activity.kind": ["walking", "running"]}},
     "sweep.axes.activity.kind"),
])
def test_bad_sweep_specs_are_refused_before_any_work(section, key):
    with pytest.raises(InputError) as exc:
        sweep(_config(section), workers=1)
    assert exc.value.where == key


def test_sweep_spec_num_below_one_is_refused_by_the_config():
    with pytest.raises(InputError) as exc:
        _config({"axes": {"subject.mass_kg": {"start": 60, "stop": 80, "num": 0}}})
    assert "num" in exc.value.where


def _write_config(tmp_path, tree, name="sweep.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(tree))
    return path


def test_sweep_command_writes_zarr_and_netcdf_or_exits_2(tmp_path, capsys):
    path = _write_config(tmp_path, {**BASE, "sweep": {"axes": {"strength.gluteus_medius": [0.7, 1.0]}}})
    store, nc = tmp_path / "s.zarr", tmp_path / "s.nc"
    assert main(["sweep", str(path), "-o", str(store), "--workers", "1"]) == 0
    assert main(["sweep", str(path), "-o", str(nc), "--workers", "1"]) == 0
    with open_sweep(store) as z:
        xr.testing.assert_identical(z.load(), xr.load_dataset(nc))
        assert z.sizes["strength.gluteus_medius"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.nc", "s.zarr", "sweep.yaml"]   # no leftovers
    assert main(["sweep", str(path), "-o", str(store), "--workers", "1"]) == 0                 # replaces it
    capsys.readouterr()
    bad = tmp_path / "bad.zarr"
    for args in (["--set", "sweep.axes={}"],
                 ["--set", "sweep.axes.subject.mass_kg={start: 60, stop: 80, num: 0}"],
                 ["--workers", "0"], ["--scheduler", "tcp://127.0.0.1:9"]):
        assert main(["sweep", str(path), *args, "-o", str(bad)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1 and not bad.exists()
    (tmp_path / "file.zarr").write_text("not a store")
    assert main(["sweep", str(path), "-o", str(tmp_path / "file.zarr")]) == 2
    assert main(["sweep", str(path), "-o", str(tmp_path / "out.csv")]) == 2
    assert main(["sweep", str(path), "-o", str(tmp_path / "missing" / "out.zarr")]) == 2


def test_an_unfinished_store_needs_resume_and_a_matching_config(tmp_path, capsys):
    path = _write_config(tmp_path, {**BASE, "sweep": {"axes": {"strength.gluteus_medius": [0.7, 1.0]}}})
    out = tmp_path / "s.zarr"
    partial = partial_path(out)
    partial.mkdir()
    (partial / ".zgroup").write_text('{"zarr_format": 2}')
    assert main(["sweep", str(path), "-o", str(out), "--workers", "1"]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main(["sweep", str(path), "-o", str(out), "--workers", "1", "--resume"]) == 2
    assert "different config" in capsys.readouterr().err
    assert not out.exists()


def _subprocess_sweep(config_path, out, *extra):
    return subprocess.Popen([sys.executable, "-m", "hipsim.cli", "sweep", str(config_path), "-o", str(out),
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _points_done(out):
    import zarr
    try:
        return int(np.sum(zarr.open_group(str(partial_path(out)), mode="r")["point_done"][...]))
    except Exception:       # not created yet
        return 0


def test_a_sweep_killed_mid_way_resumes_to_the_identical_store(tmp_path):
    tree = {**RUNNING, "sweep": {"design": "lhs", "samples": 256, "seed": 5, "axes": {
        "strength.gluteus_medius": [0.5, 1.0], "strength.gluteus_maximus": [0.5, 1.0]}}}
    path = _write_config(tmp_path, tree)
    killed, whole = tmp_path / "killed.zarr", tmp_path / "whole.zarr"
    proc = _subprocess_sweep(path, killed, "--workers", "2")
    deadline = time.time() + 300
    while _points_done(killed) == 0 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = _points_done(killed)
    assert 0 < done < 256, f"the kill should land mid-sweep ({done} points were in)"
    assert not killed.exists() and partial_path(killed).exists()      # never reads as complete
    assert main(["sweep", str(path), "-o", str(killed), "--workers", "1"]) == 2      # needs --resume
    assert main(["sweep", str(path), "-o", str(killed), "--workers", "2", "--resume"]) == 0
    assert main(["sweep", str(path), "-o", str(whole), "--workers", "2"]) == 0
    assert not partial_path(killed).exists()
    with open_sweep(killed) as a, open_sweep(whole) as b:
        xr.testing.assert_identical(a.load(), b.load())
    assert main(["sweep", str(path), "-o", str(killed), "--resume"]) == 0               # nothing left to do


def test_progress_bar_only_on_request_or_a_terminal(tmp_path):
    path = _write_config(tmp_path, {**BASE, "sweep": {"axes": {"strength.gluteus_medius": [0.7, 1.0]}}})
    quiet = subprocess.run([sys.executable, "-m", "hipsim.cli", "sweep", str(path), "-o", str(tmp_path / "q.zarr"),
                            "--workers", "1"], capture_output=True, text=True, timeout=300)
    assert quiet.returncode == 0 and quiet.stderr == ""
    config = load_config(path)
    import io
    from contextlib import redirect_stderr
    buffer = io.StringIO()
    with redirect_stderr(buffer):
        sweep(config, workers=1, progress=True)
    assert "2/2" in buffer.getvalue() and "point" in buffer.getvalue()


def test_public_functions_stay_callable_after_their_modules_load():
    import hipsim
    import hipsim.pipeline  # noqa: F401  (importing a submodule must not shadow the API)
    import hipsim.sweeps  # noqa: F401
    import hipsim.rom  # noqa: F401
    assert callable(hipsim.simulate) and callable(hipsim.sweep) and callable(hipsim.load_config)
    assert callable(hipsim.range_of_motion)


@pytest.mark.slow                   # ~60 s; `make test-all` runs it (the resume test kills a sweep in `make test`)
def test_a_local_worker_killed_mid_sweep_is_replaced_and_the_numbers_hold(tmp_path):
    import threading

    import psutil
    config = load_config({**RUNNING, "sweep": {"design": "lhs", "samples": 256, "seed": 8, "axes": {
        "strength.gluteus_medius": [0.5, 1.0], "form.pelvic_rotation_scale": [0.6, 1.4]}}})
    out = tmp_path / "killed.zarr"
    result = {}
    thread = threading.Thread(target=lambda: result.update(ds=sweep(config, workers=2, output=out)))
    thread.start()
    deadline = time.time() + 300
    while _points_done(out) == 0 and thread.is_alive() and time.time() < deadline:
        time.sleep(0.01)
    me = os.getpid()
    workers = [p for p in psutil.Process().children(recursive=True) if p.ppid() != me]   # forkserver's children
    assert workers, "no worker processes found"
    done = _points_done(out)
    workers[0].kill()
    thread.join(600)
    assert 0 < done < 256 and "ds" in result
    xr.testing.assert_identical(result["ds"].load(), sweep(config, workers=1))
