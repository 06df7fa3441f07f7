"""Clearance kernel (hipsim.impingement) against the brute-force references of naive_geometry."""
import numpy as np
import pytest

import naive_geometry as ng
from hipsim import impingement as imp
from hipsim._kernels import clearance as kern


@pytest.fixture(scope="module")
def small_hip():
    """~1,500 triangles each: small enough for the brute force on many poses."""
    return ng.synthetic_hip(resolution=0.5)


@pytest.fixture(scope="module")
def small_model(small_hip):
    return imp.ClearanceModel(small_hip, tolerance_mm=0.0)


def random_poses(n, seed):
    rng = np.random.default_rng(seed)
    angles = np.column_stack([rng.uniform(-20, 125, n), rng.uniform(-35, 35, n), rng.uniform(-60, 60, n)])
    return ng.hip_rotation(angles)


def test_synthetic_meshes_are_closed_and_oriented(small_hip):
    for mesh in (small_hip.femur, small_hip.acetabulum):
        imp.pseudo_normals(mesh.vertices, mesh.faces, mesh.name)        # raises if not
        far = ng.winding_number(np.array([[500.0, 0, 0]]), mesh.vertices, mesh.faces)
        assert abs(far[0]) < 1e-9


def test_closest_point_triangle_matches_brute_force():
    rng = np.random.default_rng(1)
    for _ in range(20):
        tri = rng.normal(size=(3, 3)) * 5
        pts = rng.normal(size=(200, 3)) * 8
        ref = ng.point_triangle_distance(pts, tri[None])[:, 0]
        got = np.array([np.sqrt(kern.closest_point_triangle(*p, tri)[0]) for p in pts])
        np.testing.assert_allclose(got, ref, atol=1e-9)


def test_bvh_nearest_and_pseudo_normal_sign(small_hip):
    acet = small_hip.acetabulum
    fn, en, vn = imp.pseudo_normals(acet.vertices, acet.faces)
    bvh = imp.build_bvh(acet.vertices, acet.faces, np.arange(len(acet.faces)))
    rng = np.random.default_rng(2)
    pts = rng.uniform(acet.vertices.min(0) - 3, acet.vertices.max(0) + 3, size=(400, 3))
    # include points very close to the surface (on both sides)
    near = acet.vertices[rng.integers(0, len(acet.vertices), 200)] + rng.normal(size=(200, 3)) * 0.05
    pts = np.vstack([pts, near])
    ref = ng.point_triangle_distance(pts, acet.vertices[acet.faces]).min(axis=1)
    inside = ng.winding_number(pts, acet.vertices, acet.faces) > 0.5
    stack = np.empty(kern.STACK_SIZE, np.int64)
    for p, d_ref, ins in zip(pts, ref, inside):
        d, slot, qx, qy, qz, feat = kern.bvh_nearest(*p, np.inf, *bvh.arrays(), stack)
        assert abs(d - d_ref) < 1e-9
        s = kern.feature_sign(*p, qx, qy, qz, slot, feat, bvh.face, acet.faces, fn, en, vn)
        if d_ref > 1e-9:
            assert (s < 0) == ins


def test_grid_nodes_are_exact(small_hip, small_model):
    m = small_model
    rng = np.random.default_rng(3)
    shape = np.array(m.grid.shape[:3])
    idx = rng.integers(0, shape, size=(300, 3))
    x = m.grid_origin + idx * m.grid_spacing
    r = np.linalg.norm(x, axis=1)
    val = m.grid[idx[:, 0], idx[:, 1], idx[:, 2]]
    used = val[:, 0] < 1e8
    acet = small_hip.acetabulum
    contact = acet.vertices[acet.faces[np.isin(acet.face_region, imp.ACETABULUM_CONTACT)]]
    d = ng.point_triangle_distance(x[used], contact).min(axis=1)
    np.testing.assert_allclose(val[used, 0], d, atol=1e-9)
    sd = ng.point_triangle_distance(x[used], acet.vertices[acet.faces]).min(axis=1)
    sd = np.where(ng.winding_number(x[used], acet.vertices, acet.faces) > 0.5, -sd, sd)
    np.testing.assert_allclose(val[used, 1], sd, atol=1e-9)
    assert used.sum() > 50 and r[used].min() >= 0


def test_clearance_matches_brute_force_on_random_poses(small_hip, small_model):
    R = random_poses(120, seed=4)
    got = small_model.query(R)
    ref = ng.brute_clearance(small_hip.femur, small_hip.acetabulum, R)
    # the pose set exercises clear, touching and overlapping poses
    assert (ref.clearance_mm < 0).sum() >= 15 and (ref.clearance_mm > 2).sum() >= 15
    np.testing.assert_allclose(got.clearance_mm, ref.clearance_mm, atol=0.1)
    assert np.abs(got.clearance_mm - ref.clearance_mm).max() < 1e-6           # exact, in fact
    np.testing.assert_allclose(got.overlap_area_mm2, ref.overlap_area_mm2, atol=1e-6)
    np.testing.assert_allclose(got.overlap_depth_mm, np.maximum(0, -ref.clearance_mm), atol=1e-6)
    # the reported point attains the minimum (ties aside) and its surface point is |clearance| away
    gap = np.linalg.norm(got.point_pelvis - got.rim_point_pelvis, axis=1)
    np.testing.assert_allclose(gap, np.abs(got.clearance_mm), atol=1e-9)
    unique = np.linalg.norm(got.point_pelvis - ref.point_pelvis, axis=1) < 1e-9
    assert unique.mean() > 0.8


def test_clearance_is_independent_of_grid_and_clusters(small_hip, small_model):
    R = random_poses(60, seed=5)
    base = small_model.query(R)
    for h, cs in ((0.6, 3.0), (2.5, 12.0)):
        other = imp.ClearanceModel(small_hip, grid_spacing_mm=h, cluster_size_mm=cs,
                                   tolerance_mm=0.0).query(R)
        np.testing.assert_allclose(other.clearance_mm, base.clearance_mm, atol=1e-9)
        np.testing.assert_allclose(other.overlap_area_mm2, base.overlap_area_mm2, atol=1e-9)


def test_tolerance_bounds_the_error(small_model, small_hip):
    R = random_poses(200, seed=7)
    exact = small_model.query(R)
    for loose in (imp.ClearanceModel(small_hip, tolerance_mm=0.05).query(R),
                  imp.ClearanceModel(small_hip).query(R)):             # the default bound
        diff = loose.clearance_mm - exact.clearance_mm
        assert np.all(diff >= -1e-12) and np.all(diff <= imp.DEFAULT_TOLERANCE_MM + 1e-12)
        np.testing.assert_allclose(loose.overlap_area_mm2, exact.overlap_area_mm2, atol=1e-9)


@pytest.mark.slow
def test_full_resolution_meshes_against_brute_force():
    hip = ng.synthetic_hip(resolution=1.0)              # ~6,000 triangles each, as benchmarked
    R = random_poses(8, seed=6)
    got = imp.ClearanceModel(hip, tolerance_mm=0.0).query(R)
    ref = ng.brute_clearance(hip.femur, hip.acetabulum, R)
    np.testing.assert_allclose(got.clearance_mm, ref.clearance_mm, atol=1e-6)
    np.testing.assert_allclose(got.overlap_area_mm2, ref.overlap_area_mm2, atol=1e-6)


def test_clock_convention():
    axis = np.array([0.0, 0.0, 1.0])                    # looking into the socket from lateral
    pts = np.array([[0, 1, 0], [1, 0, 0], [0, -1, 0], [-1, 0, 0], [1, 1, 0.3]], float)
    np.testing.assert_allclose(imp.clock_position(pts, axis), [0, 3, 6, 9, 1.5], atol=1e-12)


def _rotation_about(axis, angle):
    k = np.asarray(axis, float) / np.linalg.norm(axis)
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle) * K + (1 - np.cos(angle)) * K @ K


def test_clock_of_first_contact_follows_the_direction_of_motion():
    """A symmetric hip (no cam, no pincer): with the neck first aligned with the acetabular axis,
    tilting it toward rim direction u makes first contact at the clock position of u."""
    hip = ng.synthetic_hip(resolution=0.5, cam_mm=0.0, overhang_deg=0.0)
    model = imp.ClearanceModel(hip)
    a, n = hip.acetabular_axis, hip.neck_axis
    align = _rotation_about(np.cross(n, a), np.arccos(n @ a))
    e1, e2 = ng._basis(a)[1:]
    tilts = np.deg2rad(np.arange(0.0, 90.0, 0.5))
    for ang in np.linspace(0, 2 * np.pi, 8, endpoint=False):
        u = np.cos(ang) * e1 + np.sin(ang) * e2
        R = np.array([_rotation_about(np.cross(a, u), t) @ align for t in tilts])
        res = model.query(R)
        assert res.clearance_mm[0] > 0
        first = int(np.argmax(res.clearance_mm < 0))
        assert first > 0
        expected = imp.clock_position(u[None], a)[0]
        assert abs((res.clock_h[first] - expected + 6) % 12 - 6) < 0.5
        np.testing.assert_allclose(res.clock_h, imp.clock_position(res.rim_point_pelvis, a))


def test_estimated_axis_points_out_of_the_socket(small_hip):
    a = imp.estimate_acetabular_axis(small_hip.acetabulum.vertices, small_hip.acetabulum.faces,
                                     small_hip.acetabulum.face_region)
    assert a @ small_hip.acetabular_axis > 0.95


def test_input_validation(small_hip, small_model):
    with pytest.raises(ValueError, match="shape"):
        small_model.query(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="orthonormal"):
        small_model.query(np.full((1, 3, 3), 0.5))
    with pytest.raises(ValueError, match="finite"):
        small_model.query(np.full((1, 3, 3), np.nan))
    with pytest.raises(ValueError, match="proper"):
        small_model.query(-np.eye(3)[None])
    assert small_model.query(np.empty((0, 3, 3))).clearance_mm.shape == (0,)
    acet = small_hip.acetabulum
    open_mesh = ng.Mesh(acet.vertices, acet.faces[1:], acet.face_region[1:], "acetabulum")
    with pytest.raises(ValueError, match="watertight"):
        imp.ClearanceModel(ng.Hip(small_hip.femur, open_mesh, 24.0, None, small_hip.acetabular_axis))
    with pytest.raises(ValueError, match="femur"):
        imp.ClearanceModel(ng.Hip(None, acet, 24.0, None, None))


def test_warmup_runs():
    imp.warmup()


def test_parametric_hip_against_brute_force():
    """The project's own meshes (skipped until hipsim.morphology is available)."""
    morphology = pytest.importorskip("hipsim.morphology")
    R = random_poses(40, seed=8)
    for params, labrum in (({}, False), ({"alpha_angle_deg": 75.0}, True)):
        hip = morphology.build_hip(params, resolution=0.5, labrum=labrum)
        model = imp.ClearanceModel(hip, tolerance_mm=0.0)
        got = model.query(R)
        ref = ng.brute_clearance(hip.femur, hip.acetabulum, R)
        np.testing.assert_allclose(got.clearance_mm, ref.clearance_mm, atol=1e-6)
        np.testing.assert_allclose(got.overlap_area_mm2, ref.overlap_area_mm2, atol=1e-6)
        np.testing.assert_allclose(got.clock_h, morphology.clock_position(got.rim_point_pelvis,
                                                                           hip.acetabular_axis))


def test_the_distance_field_does_not_depend_on_the_thread_count():
    import numba

    from hipsim import load_config
    from hipsim.impingement import ClearanceModel
    from hipsim.pipeline import _hip_geometry
    geometry = _hip_geometry(load_config({"morphology": {"alpha_angle_deg": 55.0}}).morphology.model_dump_json())
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        serial = ClearanceModel(geometry)
    finally:
        numba.set_num_threads(threads)
    parallel = ClearanceModel(geometry)
    assert np.array_equal(serial.grid, parallel.grid) and np.array_equal(serial.grid_hint, parallel.grid_hint)
