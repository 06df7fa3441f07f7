"""The on-disk cache of prepared bones: same numbers as a fresh build, rebuilt when damaged,
keyed by what built it, off on request."""
import numpy as np
import pytest

from hipsim import disk_cache, hip_models, load_config
from hipsim.impingement import ClearanceModel
from hipsim.mesh import hip_rotation

MORPHOLOGY = {"morphology": {"alpha_angle_deg": 68.0, "cam_clock": 1.0, "lce_angle_deg": 36.0}}


def _poses():
    return hip_rotation(np.random.default_rng(3).uniform(-30, 100, (200, 3)))


def _clear():
    for f in (hip_models.prepared, hip_models.hip_geometry, hip_models.clearance_model, hip_models.pressure_model):
        f.cache_clear()
    hip_models._previous.clear()


def test_cached_bones_give_the_built_numbers(tmp_path, monkeypatch):
    monkeypatch.setenv("HIPSIM_CACHE_DIR", str(tmp_path))
    config = load_config(MORPHOLOGY)
    _clear()
    built = hip_models.prepared()
    entries = list((tmp_path / "hip").glob("*.npz"))
    assert len(entries) == 1
    ra = hip_models.clearance_model(config.morphology).query(_poses())
    pa = hip_models.pressure_model(config.morphology, config.cartilage).element_thickness
    _clear()
    loaded = hip_models.prepared()
    assert loaded is not built and loaded.hip.own == built.hip.own
    rb = hip_models.clearance_model(config.morphology).query(_poses())
    for field in ("clearance_mm", "clock_h", "overlap_area_mm2"):
        np.testing.assert_array_equal(getattr(ra, field), getattr(rb, field))
    np.testing.assert_array_equal(hip_models.pressure_model(config.morphology, config.cartilage).element_thickness, pa)
    entries[0].write_bytes(b"not an npz")                     # damaged: rebuilt and replaced
    _clear()
    again = hip_models.clearance_model(config.morphology).query(_poses())
    np.testing.assert_array_equal(again.clearance_mm, ra.clearance_mm)
    with np.load(entries[0], allow_pickle=False) as data:
        assert "bones.femur_vertices" in data.files
    _clear()


def test_the_key_follows_the_morphology_and_mesh_files(tmp_path):
    a = disk_cache.digest('{"alpha": 60}')
    assert a == disk_cache.digest('{"alpha": 60}') and a != disk_cache.digest('{"alpha": 61}')
    mesh = tmp_path / "femur.stl"
    mesh.write_bytes(b"solid one")
    before = disk_cache.digest("k", files=[mesh])
    mesh.write_bytes(b"solid two")
    assert disk_cache.digest("k", files=[mesh]) != before


@pytest.mark.slow                   # builds the atlas bones without the cache, ~30 s; `make test-all` runs it
def test_the_cache_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv("HIPSIM_CACHE_DIR", "off")
    assert disk_cache.cache_dir() is None
    geometry = hip_models.hip_geometry(load_config(MORPHOLOGY).morphology)
    calls = []
    model = disk_cache.cached("clearance", "x", lambda: calls.append(1) or ClearanceModel(geometry),
                              lambda m: {}, lambda a: None)
    assert calls == [1] and model.n_query_points > 0 and not any(tmp_path.iterdir())
