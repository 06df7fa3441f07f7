"""Patient hips (issue 12): the two real subjects (LHDL CT cadaver, ICL MRI adult; CC BY-NC, read
from ../shared/reference, never shipped) through ``hipsim rom``, a passive FADIR and walking with
cartilage pressure. Skipped where the reference data is absent."""
import numpy as np
import pytest
import xarray as xr

from hipsim.cli import main

from conftest import reference_path

SUBJECTS = ("lhdl_ct", "icl_mri")


def _meshes(subject):
    return [f"morphology.femur_mesh={reference_path(f'hip_geometry/{subject}/femur_r.stl')}",
            f"morphology.acetabulum_mesh={reference_path(f'hip_geometry/{subject}/pelvis_no_sacrum.stl')}"]


def _sets(*overrides):
    return [a for o in overrides for a in ("--set", o)]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_rom_of_a_subject(tmp_path, capsys, subject):
    out = tmp_path / "rom.nc"
    assert main(["rom", *_sets(*_meshes(subject), "rom.flexion_start_deg=60", "rom.flexion_step_deg=30"),
                 "-o", str(out)]) == 0
    ds = xr.load_dataset(out)
    assert subject in ds.attrs["hip_bones"]
    # the subject's own shape, measured (not the atlas's)
    assert ds.attrs["hip_head_radius_mm"] == pytest.approx({"lhdl_ct": 23.05, "icl_mri": 25.63}[subject], abs=0.5)
    ir90 = ds["max_internal_rotation"].sel(flexion=90.0)
    assert int(ds["internal_rotation_status"].sel(flexion=90.0)) == 0 and 10.0 < float(ir90) < 70.0
    assert int(ds["flexion_status"]) == 0 and 100.0 < float(ds["max_flexion"]) < 150.0
    # internal rotation is stopped anterosuperiorly (the rim between 11 and 3 o'clock)
    clock = float(ds["limit_clock"].sel(flexion=90.0))
    assert clock >= 11.0 or clock <= 3.0


@pytest.mark.parametrize("subject", SUBJECTS)
def test_passive_fadir_of_a_subject(tmp_path, capsys, subject):
    out = tmp_path / "fadir.nc"
    assert main(["run", *_sets(*_meshes(subject), "activity.kind=fadir", "activity.frames=21"), "-o", str(out)]) == 0
    ds = xr.load_dataset(out)
    assert float(ds["muscle_activation"].max()) == 0.0
    assert float(ds["hip_contact_force"].max()) < 1.0                   # BW: only the muscles' passive pull
    assert np.isfinite(ds["impingement_clearance"].values).all()


@pytest.mark.parametrize("subject", SUBJECTS)
def test_walking_cartilage_pressure_on_a_subject_balances_the_load(subject):
    """Every frame the DEA solves balances the hip contact force within 0.1 %; frames it cannot
    solve are flagged (on ICL's shallow socket, LCEA ~18 deg, the load of push-off can point past
    the cartilage's edge: no head position balances it)."""
    from hipsim import load_config
    from hipsim.hip_models import pressure_model
    from hipsim.pipeline import run_pipeline
    config = load_config(None, [*_meshes(subject), "activity.kind=walking", "cartilage.pressure_map=true"])
    run = run_pipeline(config)
    res = run.pressure
    ok = res.status == 0
    assert ok.mean() >= 0.95
    layer = pressure_model(config.morphology, config.cartilage).layer
    q = layer.position[None] - res.displacement_mm[:, None]
    u = q / np.linalg.norm(q, axis=2, keepdims=True)
    facing = np.maximum(0.0, -np.einsum("ei,fei->fe", layer.normal, u))
    force = np.einsum("fe,e,fe,fei->fi", res.pressure_map, layer.area, facing, u)
    load = np.linalg.norm(run.contact_force, axis=1)
    error = np.linalg.norm(force - run.contact_force, axis=1)
    assert np.all(error[ok] <= 1e-3 * load[ok])
    assert np.all(error[~ok] > 1e-3 * load[~ok]) or np.all(res.status[~ok] == 2)
    assert 1.0 < res.peak_mpa[ok].max() < 30.0 and 200.0 < res.contact_area_mm2[ok].max() < 3000.0
