"""Sobol indices (issue 6): Saltelli/Jansen estimators against the Ishigami function's closed
form, then end to end from a sobol sweep through ``hipsim sensitivity``."""
import numpy as np
import pytest
import xarray as xr
import yaml

from hipsim import InputError, sobol_indices
from hipsim.cli import main
from hipsim.sensitivity import ishigami_indices, ishigami_sweep


def test_ishigami_closed_form_is_the_published_one():
    first, total = ishigami_indices()      # Saltelli et al. 2008 (Global Sensitivity Analysis, p. 179)
    np.testing.assert_allclose(first, [0.3139, 0.4424, 0.0], atol=1e-4)
    np.testing.assert_allclose(total, [0.5576, 0.4424, 0.2437], atol=1e-4)


def test_ishigami_indices_match_the_closed_form():
    first, total = ishigami_indices()
    idx = sobol_indices(ishigami_sweep(8192), "y")
    np.testing.assert_allclose(idx["first_order"].values, first, atol=0.02)
    np.testing.assert_allclose(idx["total_order"].values, total, atol=0.02)
    assert np.all(idx["first_order_conf"].values < 0.05) and np.all(idx["total_order_conf"].values > 0)
    small = sobol_indices(ishigami_sweep(256), "y")
    assert np.all(small["first_order_conf"].values > idx["first_order_conf"].values)   # fewer samples, wider


def test_indices_need_a_sobol_design_and_a_scalar_output():
    ds = ishigami_sweep(64)
    with pytest.raises(InputError):
        sobol_indices(ds.drop_vars("sobol_block"), "y")
    with pytest.raises(InputError):
        sobol_indices(ds, "z")
    two_d = ds.assign(w=(("sample", "axis"), np.ones((ds.sizes["sample"], 2))))
    with pytest.raises(InputError):
        sobol_indices(two_d, "w")


def test_sensitivity_command_on_a_real_sobol_sweep(tmp_path, capsys):
    tree = {"activity": {"kind": "walking", "frames": 21},
            "sweep": {"design": "sobol", "samples": 16, "seed": 2,
                      "axes": {"strength.gluteus_medius": [0.4, 1.0], "subject.mass_kg": [55.0, 95.0]}}}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(tree))
    out = tmp_path / "s.zarr"
    assert main(["sweep", str(path), "-o", str(out), "--workers", "1"]) == 0
    capsys.readouterr()
    assert main(["sensitivity", str(out), "--variable", "tendon_force", "--select", "tendon_group=gluteal",
                 "-o", str(tmp_path / "idx.nc")]) == 0
    text = capsys.readouterr().out
    assert "strength.gluteus_medius" in text and "first order" in text
    idx = xr.load_dataset(tmp_path / "idx.nc")
    # the gluteal tendon force follows gluteus medius strength far more than body mass (in BW)
    s = idx["total_order"].sel(key="strength.gluteus_medius").item()
    assert s > idx["total_order"].sel(key="subject.mass_kg").item() and s > 0.5
    for args in (["--variable", "nope"], ["--variable", "tendon_force"], ["--stat", "median"],
                 ["--select", "tendon_group=nope", "--variable", "tendon_force"]):
        assert main(["sensitivity", str(out), *args]) == 2
        assert capsys.readouterr().err.startswith("error: ")
    assert main(["sensitivity", str(tmp_path / "missing.zarr")]) == 2
