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
    side = imp.PelvisTopology(acet.vertices, acet.faces, acet.face_region).pelvis(acet.vertices)
    bvh = side.every
    fn, en, vn = imp.pseudo_normals(acet.vertices, acet.faces)
    rng = np.random.default_rng(2)
    pts = rng.uniform(acet.vertices.min(0) - 3, acet.vertices.max(0) + 3, size=(400, 3))
    # include points very close to the surface (on both sides)
    near = acet.vertices[rng.integers(0, len(acet.vertices), 200)] + rng.normal(size=(200, 3)) * 0.05
    pts = np.vstack([pts, near])
    ref = ng.point_triangle_distance(pts, acet.vertices[acet.faces]).min(axis=1)
    inside = ng.winding_number(pts, acet.vertices, acet.faces) > 0.5
    stack = np.empty(kern.STACK_SIZE, np.int64)
    for p, d_ref, ins in zip(pts, ref, inside):
        d, slot, qx, qy, qz, feat = kern.bvh_nearest(*p, np.inf, bvh.bmin, bvh.bmax, bvh.left, bvh.right,
                                                     bvh.start, bvh.count, bvh.tri, stack)
        assert abs(d - d_ref) < 1e-9
        s = kern.feature_sign(*p, qx, qy, qz, slot, feat, bvh.face, acet.faces, fn, en, vn)
        assert s == kern.feature_sign_of(*p, qx, qy, qz, slot, feat, side)    # normals on the spot
        if d_ref > 1e-9:
            assert (s < 0) == ins


def test_refit_trees_bound_their_contents(small_hip):
    acet = small_hip.acetabulum
    topology = imp.PelvisTopology(acet.vertices, acet.faces, acet.face_region)
    moved = acet.vertices + np.random.default_rng(9).normal(size=acet.vertices.shape) * 0.5
    bvh = topology.pelvis(moved).every
    for node in range(len(bvh.left)):
        if bvh.count[node]:
            tri = bvh.tri[bvh.start[node]:bvh.start[node] + bvh.count[node]].reshape(-1, 3)
            assert np.all(tri >= bvh.bmin[node] - 1e-12) and np.all(tri <= bvh.bmax[node] + 1e-12)
        else:
            for child in (bvh.left[node], bvh.right[node]):
                assert np.all(bvh.bmin[child] >= bvh.bmin[node]) and np.all(bvh.bmax[child] <= bvh.bmax[node])
    np.testing.assert_array_equal(bvh.tri, moved[acet.faces[bvh.face]])


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


def test_clearance_is_independent_of_the_trees(small_hip, small_model):
    """Leaf sizes and a femur tree over more points than the shape's query points (inactive
    ones, as a family of shapes keeps it) change only the speed."""
    R = random_poses(60, seed=5)
    base = small_model.query(R)
    saved = imp.SPHERE_LEAF_SIZE, imp.BVH_LEAF_SIZE
    try:
        imp.SPHERE_LEAF_SIZE, imp.BVH_LEAF_SIZE = 3, 9
        other = imp.ClearanceModel(small_hip, tolerance_mm=0.0).query(R)
    finally:
        imp.SPHERE_LEAF_SIZE, imp.BVH_LEAF_SIZE = saved
    wider = imp.ClearanceModel(small_hip, tolerance_mm=0.0,
                               femur_candidates=np.arange(len(small_hip.femur.vertices))).query(R)
    for result in (other, wider):
        np.testing.assert_allclose(result.clearance_mm, base.clearance_mm, atol=1e-9)
        np.testing.assert_allclose(result.overlap_area_mm2, base.overlap_area_mm2, atol=1e-9)


def test_a_reshaped_model_equals_a_new_one(small_hip):
    """Reusing a model's trees for moved vertices (a new shape) gives the fresh model's answer."""
    R = random_poses(40, seed=11)
    first = imp.ClearanceModel(small_hip, tolerance_mm=0.0)
    rng = np.random.default_rng(12)
    moved = ng.Hip(ng.Mesh(small_hip.femur.vertices * 1.01, small_hip.femur.faces, small_hip.femur.face_region, "femur"),
                   ng.Mesh(small_hip.acetabulum.vertices + rng.normal(size=(3,)) * 0.3, small_hip.acetabulum.faces,
                           small_hip.acetabulum.face_region, "acetabulum"), 24.0, small_hip.neck_axis,
                   small_hip.acetabular_axis)
    reused = imp.ClearanceModel(moved, tolerance_mm=0.0, reuse=first)
    assert reused.pelvis_topology is first.pelvis_topology and reused.femur_topology is first.femur_topology
    fresh = imp.ClearanceModel(moved, tolerance_mm=0.0)
    np.testing.assert_array_equal(reused.query(R).clearance_mm, fresh.query(R).clearance_mm)


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


def test_real_hip_against_a_direct_search():
    """The atlas hip (120k and 84k triangles, too many for the brute force): the least distance
    over the query points found directly - every query point against every contact triangle whose
    bounding sphere comes within the answer + 1 mm (a k-d tree of triangle centres) - and the
    closest point's side (winding number) and depth."""
    from scipy.spatial import cKDTree

    from hipsim import load_config
    from hipsim.hip_models import clearance_model, hip_geometry
    morphology = load_config({"morphology": {"alpha_angle_deg": 80.0, "cam_clock": 3.0}}).morphology
    geometry, model = hip_geometry(morphology), clearance_model(morphology)
    exact = imp.ClearanceModel(geometry, tolerance_mm=0.0, reuse=model)
    rotations = imp_rotations([[20, 0, 10], [0, 0, 40], [30, 0, 30], [90, 5, 5]])
    got = exact.query(rotations)
    assert (got.clearance_mm < 0).sum() >= 2 and (got.clearance_mm > 0).any()
    assert np.all((got.overlap_area_mm2 > 0) == (got.clearance_mm < 0))
    femur, pelvis = geometry.femur, geometry.acetabulum
    idx, _ = ng.query_vertices(femur)

    def direct(points, triangles, radius):
        """Least distance from each point to the triangles, those within ``radius`` found by a
        k-d tree of triangle centres (points farther than radius from all get radius or more)."""
        centres = triangles.mean(axis=1)
        reach = np.linalg.norm(triangles - centres[:, None], axis=2).max()
        tree = cKDTree(centres)
        out = np.full(len(points), np.inf)
        order = np.argsort(points[:, 0])
        for chunk in np.array_split(order, max(1, len(points) // 200)):
            near = np.unique(np.concatenate([np.asarray(n, np.int64) for n in
                                             tree.query_ball_point(points[chunk], radius + reach)] + [np.zeros(0, int)]))
            if len(near):
                out[chunk] = ng.point_triangle_distance(points[chunk], triangles[near]).min(axis=1)
        return out

    contact = pelvis.vertices[pelvis.faces[np.isin(pelvis.face_region, imp.ACETABULUM_CONTACT)]]
    every = pelvis.vertices[pelvis.faces]
    for R, value, point in zip(rotations, got.clearance_mm, got.point_pelvis):
        points = femur.vertices[idx] @ R.T
        j = int(np.argmin(np.linalg.norm(points - point, axis=1)))
        inside = ng.winding_number(points[j:j + 1], pelvis.vertices, pelvis.faces)[0] > 0.5
        assert inside == (value < 0)
        if inside:
            assert abs(direct(points[j:j + 1], every, 3.0)[0] + value) < 1e-6
        else:
            assert abs(direct(points, contact, value + 1.0).min() - value) < 1e-6     # none nearer


def imp_rotations(angles):
    return ng.hip_rotation(np.asarray(angles, float))
