"""Parameter sweeps (issue 6, first part): designs, local workers, NetCDF output, bad specs."""
import numpy as np
import pytest
import xarray as xr

from hipsim import InputError, load_config, simulate, sweep
from hipsim.cli import main

BASE = {"activity": {"kind": "walking", "frames": 21}}


def _config(sweep_section):
    return load_config({**BASE, "sweep": sweep_section})


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
    np.testing.assert_array_equal(
        ds["hip_contact_force"].sel({"strength.gluteus_medius": 0.6, "subject.mass_kg": 80.0}).values,
        single["hip_contact_force"].values)
    assert ds.attrs["sweep_points"] == 4 and "sweep" in ds.attrs["config"]


def test_the_number_of_workers_does_not_change_the_numbers(grid):
    config, ds = grid
    serial = sweep(config, workers=1)
    for name in ("hip_contact_force", "muscle_force", "contact_pressure_peak", "impingement_clearance"):
        np.testing.assert_array_equal(serial[name].values, ds[name].values)


def test_lhs_and_sobol_sample_inside_the_bounds_and_repeat_with_the_seed():
    section = {"samples": 4, "seed": 3, "axes": {"strength.gluteus_medius": {"start": 0.5, "stop": 1.0, "num": 2},
                                                   "subject.mass_kg": [60.0, 75.0]}}
    for design in ("lhs", "sobol"):
        a = sweep(_config({**section, "design": design}), workers=1)
        b = sweep(_config({**section, "design": design}), workers=1)
        assert a["hip_contact_force"].dims[0] == "sample" and a.sizes["sample"] == 4
        g = a["strength.gluteus_medius"].values
        assert np.all((g >= 0.5) & (g <= 1.0)) and np.all((a["subject.mass_kg"] >= 60) & (a["subject.mass_kg"] <= 75))
        np.testing.assert_array_equal(a["hip_contact_force"].values, b["hip_contact_force"].values)


@pytest.mark.parametrize("section,key", [
    ({"axes": {}}, "sweep.axes"),
    ({"axes": {"strength.gluteus_mediuss": [0.5]}}, "strength.gluteus_mediuss"),
    ({"axes": {"strength.gluteus_medius": []}}, "sweep.axes.strength.gluteus_medius"),
    ({"design": "sobol", "samples": 6, "axes": {"subject.mass_kg": [60.0, 80.0]}}, "sweep.samples"),
    ({"design": "lhs", "axes": {"subject.mass_kg": [60.0, 80.0]}}, "sweep.samples"),
    ({"axes": {"strength.gluteus_medius": [-1.0]}}, "strength.gluteus_medius"),
])
def test_bad_sweep_specs_are_refused_before_any_work(section, key):
    with pytest.raises(InputError) as exc:
        sweep(_config(section), workers=1)
    assert exc.value.where == key


def test_sweep_command_writes_netcdf_or_exits_2(tmp_path, capsys):
    import yaml
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump({**BASE, "sweep": {"axes": {"strength.gluteus_medius": [0.7, 1.0]}}}))
    out = tmp_path / "s.nc"
    assert main(["sweep", str(path), "-o", str(out), "--workers", "1"]) == 0
    assert xr.load_dataset(out).sizes["strength.gluteus_medius"] == 2
    bad = tmp_path / "bad.nc"
    assert main(["sweep", str(path), "--set", "sweep.axes={}", "-o", str(bad)]) == 2
    assert "error: sweep.axes" in capsys.readouterr().err and not bad.exists()
    assert main(["sweep", "--set", "sweep.axes.subject.mass_kg={start: 60, stop: 80, num: 0}",
                 "-o", str(bad)]) == 2


def test_public_functions_stay_callable_after_their_modules_load():
    import hipsim
    import hipsim.pipeline  # noqa: F401  (importing a submodule must not shadow the API)
    import hipsim.sweeps  # noqa: F401
    assert callable(hipsim.simulate) and callable(hipsim.sweep) and callable(hipsim.load_config)
