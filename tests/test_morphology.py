"""Parametric hip geometry: mesh invariants, measurement round trips, frames, bad morphology."""
import numpy as np
import pytest

from hipsim import load_config
from hipsim.errors import InputError
from hipsim.morphology import (ACETABULUM_REGIONS, FEMUR_REGIONS, Mesh, build_acetabulum,
                               build_femur, build_hip, clock_position, euler_characteristic,
                               hip_rotation, is_watertight, measure_alpha_angle, measure_lcea,
                               _params)


@pytest.fixture(scope="module")
def hip():
    return build_hip(load_config({}).morphology)


def _edges_ok(mesh):
    f = mesh.faces
    e = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
    und, cnt = np.unique(np.sort(e, axis=1), axis=0, return_counts=True)
    directed = np.unique(e, axis=0)
    # every undirected edge in exactly two faces, each direction exactly once
    return np.all(cnt == 2) and len(directed) == len(e)


@pytest.mark.parametrize("which", ["femur", "acetabulum", "labrum"])
def test_meshes_closed_oriented_genus0(hip, which):
    mesh = build_hip({}, labrum=True).acetabulum if which == "labrum" else getattr(hip, which)
    which = "acetabulum" if which == "labrum" else which
    assert mesh.name == which
    assert mesh.vertices.dtype == np.float64 and mesh.faces.dtype == np.int64
    assert mesh.face_region.dtype == np.int8 and mesh.face_region.shape == (len(mesh.faces),)
    assert _edges_ok(mesh) and is_watertight(mesh)
    assert mesh.volume() > 0
    assert euler_characteristic(mesh) == 2
    assert 5000 <= len(mesh.faces) <= 7000          # ~6k triangles at the default resolution
    # no degenerate triangles
    v = mesh.vertices[mesh.faces]
    area = 0.5 * np.linalg.norm(np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0]), axis=1)
    assert area.min() > 1e-6


def test_regions_present(hip):
    assert set(np.unique(hip.femur.face_region)) == set(FEMUR_REGIONS.values())
    present = set(np.unique(hip.acetabulum.face_region))
    assert present == {ACETABULUM_REGIONS[k] for k in ("lunate", "fossa", "rim", "outer")}
    with_labrum = build_hip({}, labrum=True)
    assert ACETABULUM_REGIONS["labrum"] in with_labrum.acetabulum.face_region
    assert is_watertight(with_labrum.acetabulum)
    # the labrum is soft tissue: the bony LCEA ignores it
    assert measure_lcea(with_labrum.acetabulum, np.zeros(3)) == pytest.approx(30.0, abs=0.5)


def test_head_and_socket_surfaces(hip):
    R = hip.head_radius_mm
    head = hip.femur.faces[hip.femur.face_region == FEMUR_REGIONS["head"]]
    d = np.linalg.norm(hip.femur.vertices[np.unique(head)], axis=1)
    assert np.allclose(d, R, atol=1e-9)
    lunate = hip.acetabulum.faces[hip.acetabulum.face_region == ACETABULUM_REGIONS["lunate"]]
    ds = np.linalg.norm(hip.acetabulum.vertices[np.unique(lunate)], axis=1)
    assert np.all(ds > R)                                 # joint space around the head


def test_resolution_controls_count():
    lo = build_hip({}, resolution=0.5)
    hi = build_hip({}, resolution=2.0)
    assert len(lo.femur.faces) < 2000 < 20000 < len(hi.femur.faces)
    assert is_watertight(hi.femur) and is_watertight(lo.acetabulum)
    with pytest.raises(InputError, match="resolution"):
        build_hip({}, resolution=0)


def test_axes_and_rim(hip):
    n = hip.neck_axis
    assert np.linalg.norm(n) == pytest.approx(1.0)
    # toward the neck base: lateral and inferior; anteversion puts the head anterior of the base
    assert n[2] > 0 and n[1] < 0 and n[0] < 0
    # neck-shaft angle between the neck (toward the head) and the shaft (distally, -y)
    assert np.degrees(np.arccos(-n @ [0, -1, 0])) == pytest.approx(127.0, abs=1e-6)
    a = hip.acetabular_axis
    assert a[2] > 0 and a[1] < 0 and a[0] > 0            # lateral, inferior, anterior opening
    rim, h = hip.rim_points, hip.rim_clock
    assert rim.shape == (len(h), 3) and len(h) >= 32
    dh = np.diff(np.unwrap(h * np.pi / 6))
    assert np.all(dh > 0) or np.all(dh < 0)               # ordered around the clock
    assert np.ptp(np.unwrap(h * np.pi / 6)) > 1.9 * np.pi
    r = np.linalg.norm(rim, axis=1)
    assert np.all((r > hip.head_radius_mm) & (r < hip.head_radius_mm + 10))


def test_hip_rotation_convention():
    R = hip_rotation([[90, 0, 0], [0, 20, 0], [0, 0, 30], [10, 20, 30]])
    assert R.shape == (4, 3, 3)
    assert np.allclose(R @ R.transpose(0, 2, 1), np.eye(3))
    assert np.allclose(np.linalg.det(R), 1)
    knee = np.array([0, -1, 0.0])
    assert np.allclose(R[0] @ knee, [1, 0, 0])            # flexion: knee forward
    assert (R[1] @ knee)[2] < 0                           # adduction: knee medial
    assert (R[2] @ np.array([1, 0, 0.0]))[2] < 0          # internal rotation: front turns medial
    rz = hip_rotation([10, 0, 0])[0]
    rx = hip_rotation([0, 20, 0])[0]
    ry = hip_rotation([0, 0, 30])[0]
    assert np.allclose(R[3], rz @ rx @ ry)


def test_clock_face(hip):
    a = hip.acetabular_axis
    sup = np.array([0, 1, 0.0]) - a[1] * a
    ant = np.array([1, 0, 0.0]) - a[0] * a
    h = clock_position(np.array([sup, ant, -sup, -ant]), a)
    # the projected axes are not orthogonal: exact 12/3/6/9 only for the orthogonalised ones
    assert np.allclose(np.angle(np.exp(1j * (h - [0, 3, 6, 9]) * np.pi / 6)), 0, atol=0.3)
    su, an = sup / np.linalg.norm(sup), ant / np.linalg.norm(ant)
    u12 = su - (su @ an) * an
    u3 = an - (an @ su) * su
    h = clock_position(np.array([u12, u3, -u12, -u3]), a)
    assert np.allclose(np.angle(np.exp(1j * (h - [0, 3, 6, 9]) * np.pi / 6)), 0, atol=1e-9)


def test_zero_cam_is_spherical_head():
    p = _params({})
    natural = build_femur(p)[2]["alpha_natural_deg"]
    mesh, n, info = build_femur(dict(p, alpha_angle_deg=natural))
    assert info["cam_height_mm"] == 0.0
    alphas = [measure_alpha_angle(mesh, np.zeros(3), n, c) for c in np.arange(0, 12, 1.5)]
    assert natural == pytest.approx(42.0, abs=1.0)        # Nötzli 2002 controls: 42 deg
    assert np.ptp(alphas) < 1.0


@pytest.mark.parametrize("alpha", [40, 45, 50, 60, 70, 78, 90])
@pytest.mark.parametrize("clock", [1.5, 12.0])
def test_alpha_round_trip(alpha, clock):
    p = dict(_params({}), alpha_angle_deg=float(alpha), cam_clock=clock)
    mesh, n, info = build_femur(p)
    # measured by the generator-independent routine with its own fitted head radius
    assert measure_alpha_angle(mesh, np.zeros(3), n, clock) == pytest.approx(alpha, abs=2.0)
    assert is_watertight(mesh)
    if alpha >= 50:
        # the cam sits at its clock: the opposite side keeps the natural junction
        other = measure_alpha_angle(mesh, np.zeros(3), n, (clock + 6) % 12)
        assert other == pytest.approx(info["alpha_natural_deg"], abs=1.0)
        assert info["cam_height_mm"] > 0


def test_cam_grows_with_alpha():
    p = _params({})
    heights = [build_femur(dict(p, alpha_angle_deg=a))[2]["cam_height_mm"] for a in (50, 65, 80)]
    assert heights[0] < heights[1] < heights[2]


@pytest.mark.parametrize("lcea", [10, 15, 20, 25, 30, 35, 40, 45])
def test_lcea_round_trip(lcea):
    p = dict(_params({}), lce_angle_deg=float(lcea))
    mesh, a, rim, info = build_acetabulum(p)
    assert measure_lcea(mesh, np.zeros(3)) == pytest.approx(lcea, abs=2.0)
    assert is_watertight(mesh) and mesh.volume() > 0
    assert (info["rim_global_cover_deg"] > 0) == (lcea > 39)   # deep socket: global pincer


@pytest.mark.parametrize("incl", [90.0, 60.0, 45.0])
def test_lcea_measure_on_independent_bowl(incl):
    """A hemispherical bowl (plane rim) whose axis is inclined ``incl`` from the inferior axis in
    the frontal plane: Wiberg's edge is at 90 - incl from the vertical, plus the rim lip."""
    from hipsim.morphology import _AcetabulumBuilder
    b = _AcetabulumBuilder(24.0, 0.0, 1.0)
    i = np.radians(incl)
    b.a = np.array([0, -np.cos(i), np.sin(i)])
    b.e1 = np.array([0, np.sin(i), np.cos(i)])
    b.e2 = np.array([1.0, 0, 0])
    b.dirs = np.outer(np.cos(b.phi), b.e1) + np.outer(np.sin(b.phi), b.e2)
    b.w_sup = np.zeros_like(b.phi)
    mesh, _ = b.build(0.0, 0.0)
    lip = np.degrees(np.arcsin(1.5 / (b.Rs + 1.5)))
    assert measure_lcea(mesh, np.zeros(3)) == pytest.approx(90 - incl + lip, abs=0.3)


def test_low_version_covers_more_anteriorly():
    def anterior_cover(version):
        g = build_hip({"acetabular_version_deg": float(version)})
        rim = g.rim_points
        at3 = rim[np.argmin(np.abs(g.rim_clock - 3.0))]
        return at3[2]          # lateral reach of the anterior wall
    assert anterior_cover(0.0) > anterior_cover(19.0) > anterior_cover(35.0)


@pytest.mark.parametrize("key,value", [("alpha_angle_deg", 150.0), ("lce_angle_deg", -40.0),
                                       ("alpha_angle_deg", 31.0), ("head_radius_mm", 80.0)])
def test_impossible_morphology(key, value):
    with pytest.raises(InputError) as err:
        build_hip({key: value})
    assert err.value.where == f"morphology.{key}"


def test_config_object_and_dict_agree():
    cfg = load_config({"morphology": {"alpha_angle_deg": 65.0, "lce_angle_deg": 38.0}})
    a = build_hip(cfg.morphology)
    b = build_hip({"alpha_angle_deg": 65, "lce_angle_deg": 38})
    assert np.array_equal(a.femur.vertices, b.femur.vertices)
    assert np.array_equal(a.acetabulum.faces, b.acetabulum.faces)
    assert isinstance(a.femur, Mesh)


def test_patient_meshes_through_config(tmp_path, hip):
    from hipsim.meshio import write_meshes
    fem, acet = write_meshes(hip, tmp_path, "ply")
    g = build_hip({"femur_mesh": str(fem), "acetabulum_mesh": str(acet)})
    assert g.head_radius_mm == pytest.approx(hip.head_radius_mm, abs=0.05)
    assert g.neck_axis @ hip.neck_axis > 0.999
    assert g.acetabular_axis @ hip.acetabular_axis > 0.99
    assert measure_lcea(g.acetabulum, np.zeros(3)) == pytest.approx(30.0, abs=0.5)
    assert measure_alpha_angle(g.femur, np.zeros(3), g.neck_axis, 1.5) == pytest.approx(42, abs=1)


@pytest.mark.parametrize("clock", [1.5, 3.0, 11.0])
def test_cam_sits_at_its_clock(clock):
    p = _params({})
    natural = build_femur(dict(p, cam_clock=clock))[0]
    cam, n, info = build_femur(dict(p, alpha_angle_deg=75.0, cam_clock=clock))
    bump = np.linalg.norm(cam.vertices, axis=1) - np.linalg.norm(natural.vertices, axis=1)
    top = cam.vertices[bump > 0.8 * bump.max()]
    h = clock_position(top, n)
    assert np.abs(np.angle(np.exp(1j * (h - clock) * np.pi / 6))).max() * 6 / np.pi < 1.0
    # the cam bone is labelled head-neck junction (non-articular), not head
    moved = np.nonzero(bump > 0.5)[0]
    faces_with_moved = np.isin(cam.faces, moved).any(axis=1)
    assert np.all(cam.face_region[faces_with_moved] != FEMUR_REGIONS["head"])


@pytest.mark.parametrize("beta0", [45.0, 60.0, 80.0])
def test_alpha_measure_on_independent_mesh(beta0):
    """Sphere (R 20) whose contour continues, from beta0 off the neck axis, as a cylinder of
    the head's radius there: the contour leaves the circle outward and crosses R + tol at
    s* = sqrt((R + tol)^2 - r^2), so alpha = atan2(r, s*)."""
    R, tol = 20.0, 1.0
    n = np.array([0.0, -0.6, 0.8])
    e1 = np.array([0.0, 0.8, 0.6])
    e2 = np.cross(n, e1)
    rj, sj = R * np.sin(np.radians(beta0)), R * np.cos(np.radians(beta0))
    s = np.concatenate([-R * np.cos(np.linspace(0, np.radians(180 - beta0), 120)[1:]),
                        np.linspace(sj, 3 * R, 200)[1:]])
    r = np.where(s <= sj, np.sqrt(np.clip(R * R - s * s, 0, None)), rj)
    phi = np.linspace(0, 2 * np.pi, 181)[:-1]
    rings = (s[:, None, None] * n + r[:, None, None]
             * (np.cos(phi)[None, :, None] * e1 + np.sin(phi)[None, :, None] * e2))
    from hipsim.morphology import _grid_mesh
    verts, faces, _ = _grid_mesh(rings, -R * n, 3 * R * n)
    mesh = Mesh(verts, faces, np.zeros(len(faces), np.int8), "femur")
    expected = np.degrees(np.arctan2(rj, np.sqrt((R + tol) ** 2 - rj ** 2)))
    for clock in (1.5, 6.0):
        got = measure_alpha_angle(mesh, np.zeros(3), n, clock, tolerance_mm=tol)
        assert got == pytest.approx(expected, abs=0.3)
