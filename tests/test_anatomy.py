"""Morphology as shapes of real bone (issue 12): every ``morphology.*`` key deforms the atlas
bones and is measured back from the deformed meshes; impossible shapes are refused."""
import numpy as np
import pytest

from hipsim import load_config
from hipsim.cli import main
from hipsim.mesh import edge_check

ANGLE_TOLERANCE_DEG = 1.0


@pytest.fixture(scope="module")
def hip():
    from hipsim.hip_models import real_hip
    return real_hip()


def _shape(**morphology):
    from hipsim.hip_models import hip_geometry
    config = load_config({"morphology": morphology})
    return config.morphology, hip_geometry(config.morphology)


def _face_normals(v, f):
    t = v[f]
    n = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
    return n / np.linalg.norm(n, axis=1, keepdims=True)


def test_the_atlas_hip_reports_its_own_shape(hip):
    """The atlas's numbers, measured with hipsim's functions (not set): a normal adult hip."""
    own = hip.own
    assert 20.0 < own["head_radius_mm"] < 26.0
    assert 35.0 < own["alpha_angle_deg"] < 55.0             # no cam at 3 o'clock
    assert 115.0 < own["neck_shaft_angle_deg"] < 140.0
    assert 0.0 < own["femoral_version_deg"] < 25.0
    assert 25.0 < own["lce_angle_deg"] < 50.0
    assert 10.0 < own["acetabular_version_deg"] < 30.0
    _, g = _shape()
    np.testing.assert_array_equal(g.femur.vertices, hip.bones.femur_vertices)     # null keys: the bones as they are
    np.testing.assert_array_equal(g.acetabulum.vertices, hip.bones.pelvis_vertices)


@pytest.mark.parametrize("key, values", [
    ("alpha_angle_deg", (60.0, 70.0, 80.0, 90.0)),
    ("lce_angle_deg", (15.0, 25.0, 35.0, 55.0)),
    ("acetabular_version_deg", (0.0, 10.0, 35.0)),
    ("cranial_version_deg", (-10.0, 0.0, 20.0)),
    ("femoral_version_deg", (-5.0, 0.0, 30.0)),
    ("neck_shaft_angle_deg", (115.0, 140.0)),
    ("head_neck_offset_mm", (6.0, 14.0)),
    ("head_radius_mm", (20.0, 26.0)),
])
def test_each_key_round_trips_through_the_deformed_meshes(hip, key, values):
    """Set, then measured from the deformed meshes (rim found again, head sphere fitted; the neck
    axis is the shape's): within 1 deg / 0.5 mm."""
    for value in values:
        morphology, g = _shape(**{key: value})
        got = hip.measure_meshes(g.femur.vertices, g.acetabulum.vertices, cam_clock=morphology.cam_clock,
                                 neck_axis=g.neck_axis)[key]
        tolerance = 0.5 if key.endswith("_mm") else ANGLE_TOLERANCE_DEG
        assert got == pytest.approx(value, abs=tolerance), (key, value)


@pytest.mark.parametrize("alpha, clock", [(65.0, 1.5), (78.0, 3.0), (60.0, 12.0), (90.0, 1.5)])
def test_alpha_round_trips_as_on_a_patient(hip, alpha, clock):
    """Everything found again on the deformed femur, the neck axis too, as for a patient's mesh:
    the cam widens the neck's waist on its side and tilts the axis found there by up to ~1 deg,
    which the alpha angle inherits (0.1-1.05 deg here), hence 1.5 deg."""
    morphology, g = _shape(alpha_angle_deg=alpha, cam_clock=clock)
    got = hip.measure_meshes(g.femur.vertices, g.acetabulum.vertices, cam_clock=clock)
    assert got["alpha_angle_deg"] == pytest.approx(alpha, abs=1.5)
    assert np.linalg.norm(got["head_centre_mm"]) < 0.5          # the sphere fit sees the cam a little


def test_combined_shape_round_trips(hip):
    want = dict(alpha_angle_deg=70.0, lce_angle_deg=30.0, acetabular_version_deg=10.0, cranial_version_deg=5.0,
                femoral_version_deg=15.0, neck_shaft_angle_deg=130.0)
    morphology, g = _shape(**want)
    got = hip.measure_meshes(g.femur.vertices, g.acetabulum.vertices, cam_clock=morphology.cam_clock,
                             neck_axis=g.neck_axis)
    for key, value in want.items():
        assert got[key] == pytest.approx(value, abs=ANGLE_TOLERANCE_DEG), key


def test_a_cam_is_local_smooth_and_where_asked(hip):
    from hipsim.mesh import clock_position
    base = hip.bones.femur_vertices
    for clock in (1.5, 3.0, 12.0):
        _, g = _shape(alpha_angle_deg=80.0, cam_clock=clock)
        v, f = g.femur.vertices, g.femur.faces
        move = np.linalg.norm(v - base, axis=1)
        assert np.array_equal(f, hip.bones.femur_faces) and all(edge_check(f))      # same closed triangles
        assert move.max() > 2.0                                                      # a bump of millimetres
        assert move[np.linalg.norm(base, axis=1) > 2.1 * hip.R].max() == 0.0       # nothing far from the head
        # no triangle turned over: the bump is smooth at 1 mm resolution
        assert (np.einsum("ij,ij->i", _face_normals(v, f), _face_normals(base, f)) > 0.5).all()
        # it stands out at the asked clock position (femur frame; 12 superior, 3 anterior)
        top = base[np.argmax(move)]
        at = clock_position(top[None], g.neck_axis, hip.F[1], hip.F[0])[0]
        assert min(abs(at - clock), 12 - abs(at - clock)) < 0.75


def test_rim_and_socket_changes_keep_the_pelvis_closed_and_local(hip):
    base = hip.bones.pelvis_vertices
    _, g = _shape(lce_angle_deg=20.0, acetabular_version_deg=5.0, cranial_version_deg=-5.0)
    v = g.acetabulum.vertices
    assert all(edge_check(g.acetabulum.faces))
    assert (np.einsum("ij,ij->i", _face_normals(v, g.acetabulum.faces),
                      _face_normals(base, g.acetabulum.faces)) > 0.0).all()
    far = np.linalg.norm(base, axis=1) > 90.0
    assert np.abs(v[far] - base[far]).max() == 0.0                               # the iliac wing stays


def test_more_cover_is_more_bone_over_the_head(hip):
    """LCEA up: the rim grows laterally, so the lateral-most rim point moves out over the head."""
    lateral = []
    for lcea in (20.0, 35.0, 50.0):
        _, g = _shape(lce_angle_deg=lcea)
        lateral.append(float((g.rim_points @ hip.P[2]).max()))
    assert lateral[0] < lateral[1] < lateral[2]


@pytest.mark.parametrize("override, key", [
    ("morphology.alpha_angle_deg=45", "morphology.alpha_angle_deg"),           # below the femur's own
    ("morphology.lce_angle_deg=-5", "morphology.lce_angle_deg"),               # no rim that low
    ("morphology.acetabular_version_deg=-15", "morphology.acetabular_version_deg"),
    ("morphology.femoral_version_deg=45", "morphology.femoral_version_deg"),
    ("morphology.neck_shaft_angle_deg=158", "morphology.neck_shaft_angle_deg"),
    ("morphology.head_neck_offset_mm=18", "morphology.head_neck_offset_mm"),
])
def test_impossible_shapes_exit_2_and_write_nothing(tmp_path, capsys, override, key):
    out = tmp_path / "mesh"
    assert main(["mesh", "-o", str(out), "--set", override]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and key in err[0]
    assert not out.exists()


def test_an_impossible_shape_in_a_run_writes_no_result(tmp_path, capsys):
    result = tmp_path / "r.nc"
    assert main(["run", "--set", "activity.kind=walking", "--set", "morphology.alpha_angle_deg=45",
                 "-o", str(result)]) == 2
    assert capsys.readouterr().err.startswith("error: morphology.alpha_angle_deg")
    assert not result.exists() and not list(tmp_path.iterdir())


def test_a_new_shape_updated_in_place_equals_one_built_from_the_bones(hip):
    """Issue 12, new shapes in milliseconds: the clearance trees refitted only where vertices
    moved, the head's ray table cast again only where the cam changed it, and the femur's regions
    relabelled only on moved faces give exactly what a model made from the bones' own shape does."""
    from hipsim import hip_models
    from hipsim.impingement import ClearanceModel
    from hipsim.mesh import hip_rotation
    from hipsim.pressure import PressureModel
    poses = hip_rotation(np.random.default_rng(5).uniform([-10, -25, -40], [120, 25, 40], (300, 3)))
    previous_c = previous_p = None
    for morphology in ({"alpha_angle_deg": 70.0, "lce_angle_deg": 35.0},
                       {"alpha_angle_deg": 82.0, "cam_clock": 2.5, "lce_angle_deg": 28.0},
                       {"alpha_angle_deg": 60.0, "neck_shaft_angle_deg": 131.0},
                       {"alpha_angle_deg": 75.0, "acetabular_version_deg": 12.0}):
        m = load_config({"morphology": morphology}).morphology
        g = hip.shape(m)
        regions = hip._base_regions.copy()                  # every face near the head labelled again
        near = hip._region_faces
        regions[near] = hip._femur_regions(g.femur.vertices, hip.femur_faces[near], g.head_radius_mm, g.neck_axis)
        np.testing.assert_array_equal(g.femur.face_region, regions)
        seed_c, seed_p = hip_models._reuse("clearance", m), hip_models._reuse("pressure", m)
        fresh_c = ClearanceModel(g, reuse=seed_c, femur_candidates=hip.query_candidates)
        fresh_p = PressureModel(g, None, 12.0, 0.45, reuse=seed_p)
        now_c = ClearanceModel(g, reuse=previous_c or seed_c, femur_candidates=hip.query_candidates)
        now_p = PressureModel(g, None, 12.0, 0.45, reuse=previous_p or seed_p)
        a, b = now_c.query(poses), fresh_c.query(poses)
        for field in ("clearance_mm", "overlap_area_mm2", "clock_h"):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
        for part in ("contact", "every"):
            np.testing.assert_array_equal(getattr(now_c.pelvis, part).bmin, getattr(fresh_c.pelvis, part).bmin)
            np.testing.assert_array_equal(getattr(now_c.pelvis, part).tri, getattr(fresh_c.pelvis, part).tri)
        np.testing.assert_array_equal(now_c.pelvis.radius, fresh_c.pelvis.radius)
        np.testing.assert_array_equal(now_p.head.table, fresh_p.head.table)
        np.testing.assert_array_equal(now_p.element_thickness, fresh_p.element_thickness)
        assert (a.clearance_mm < 0).any() and (a.clearance_mm > 0).any()      # the poses reach the rim
        previous_c, previous_p = now_c, now_p
