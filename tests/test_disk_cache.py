"""The on-disk cache of impingement models: same numbers as a fresh build, rebuilt when damaged,
keyed by what built it, off on request."""
import numpy as np

from hipsim import disk_cache, load_config
from hipsim.impingement import ClearanceModel
from hipsim.morphology import hip_rotation
from hipsim.pipeline import _clearance_model, _hip_geometry, clearance_model

MORPHOLOGY = {"morphology": {"alpha_angle_deg": 68.0, "cam_clock": 1.0}}


def _poses():
    return hip_rotation(np.random.default_rng(3).uniform(-30, 100, (300, 3)))


def test_a_cached_model_is_the_built_one(tmp_path, monkeypatch):
    monkeypatch.setenv("HIPSIM_CACHE_DIR", str(tmp_path))
    morphology = load_config(MORPHOLOGY).morphology
    _clearance_model.cache_clear()
    built = clearance_model(morphology)
    entries = list((tmp_path / "clearance").glob("*.npz"))
    assert len(entries) == 1
    _clearance_model.cache_clear()
    loaded = clearance_model(morphology)
    assert loaded is not built
    a, b = built.to_arrays(), loaded.to_arrays()
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    ra, rb = built.query(_poses()), loaded.query(_poses())
    for field in ("clearance_mm", "clock_h", "overlap_area_mm2"):
        np.testing.assert_array_equal(getattr(ra, field), getattr(rb, field))
    entries[0].write_bytes(b"not an npz")                     # damaged: rebuilt and replaced
    _clearance_model.cache_clear()
    again = clearance_model(morphology)
    np.testing.assert_array_equal(again.query(_poses()).clearance_mm, ra.clearance_mm)
    with np.load(entries[0], allow_pickle=False) as data:
        assert "grid" in data.files
    _clearance_model.cache_clear()


def test_the_key_follows_the_morphology_and_mesh_files(tmp_path):
    a = disk_cache.digest('{"alpha": 60}')
    assert a == disk_cache.digest('{"alpha": 60}') and a != disk_cache.digest('{"alpha": 61}')
    mesh = tmp_path / "femur.stl"
    mesh.write_bytes(b"solid one")
    before = disk_cache.digest("k", files=[mesh])
    mesh.write_bytes(b"solid two")
    assert disk_cache.digest("k", files=[mesh]) != before


def test_the_cache_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv("HIPSIM_CACHE_DIR", "off")
    assert disk_cache.cache_dir() is None
    geometry = _hip_geometry(load_config(MORPHOLOGY).morphology.model_dump_json())
    calls = []
    model = disk_cache.cached("clearance", "x", lambda: calls.append(1) or ClearanceModel(geometry),
                              ClearanceModel.to_arrays, ClearanceModel.from_arrays)
    assert calls == [1] and model.n_query_points > 0 and not any(tmp_path.iterdir())
