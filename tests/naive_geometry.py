"""Slow, obviously-correct geometry references for the impingement tests (and the benchmark's
stand-in meshes while ``hipsim.morphology`` is not available).

* :func:`point_triangle_distance` - every point against every triangle: the plane distance when
  the projection falls inside the triangle (barycentric test), else the nearest of the three
  edge segments.
* :func:`winding_number` - the generalised winding number (sum of signed solid angles, Van
  Oosterom & Strackee 1983, doi:10.1109/TBME.1983.325207), 1 inside a closed outward-oriented
  surface, 0 outside.
* :func:`brute_clearance` - the clearance of :mod:`hipsim.impingement` from those two, with no
  acceleration at all.
* :func:`synthetic_hip` - a femur-like and an acetabulum-like closed mesh (surfaces of
  revolution with poles, so watertight by construction), with the contract's Mesh fields.
"""
from dataclasses import dataclass, field

import numpy as np

FEMUR_NON_ARTICULAR = (1, 2, 3)
ACETABULUM_CONTACT = (2, 3, 4)


# ----------------------------------------------------------------------------- references
def _point_segment(P, A, B):
    """(k, m) distances from points P (k, 3) to segments A-B (m, 3)."""
    AB = B - A
    AP = P[:, None, :] - A[None]
    t = np.clip(np.einsum("kmj,mj->km", AP, AB) / np.maximum(np.einsum("mj,mj->m", AB, AB), 1e-300),
                0.0, 1.0)
    return np.linalg.norm(AP - t[..., None] * AB[None], axis=2)


def point_triangle_distance(P, T):
    """(k, m) exact distances from points P (k, 3) to triangles T (m, 3, 3)."""
    P = np.asarray(P, float)
    A, B, C = T[:, 0], T[:, 1], T[:, 2]
    n = np.cross(B - A, C - A)
    n = n / np.linalg.norm(n, axis=1, keepdims=True)
    AP = P[:, None, :] - A[None]
    h = np.einsum("kmj,mj->km", AP, n)
    proj = P[:, None, :] - h[..., None] * n[None]
    # barycentric inside test: the projection is on the inner side of all three edges
    inside = np.ones(h.shape, bool)
    for U, V in ((A, B), (B, C), (C, A)):
        inside &= np.einsum("kmj,mj->km", np.cross(V - U, proj - U[None]), n) >= 0.0
    edges = np.minimum(np.minimum(_point_segment(P, A, B), _point_segment(P, B, C)),
                       _point_segment(P, C, A))
    return np.where(inside, np.abs(h), edges)


def winding_number(P, vertices, faces):
    """(k,) generalised winding number of points P (k, 3) for a triangle mesh."""
    P = np.asarray(P, float)
    out = np.zeros(len(P))
    T = vertices[faces]
    for s in range(0, len(P), 256):
        a = T[None, :, 0] - P[s:s + 256, None]
        b = T[None, :, 1] - P[s:s + 256, None]
        c = T[None, :, 2] - P[s:s + 256, None]
        la, lb, lc = (np.linalg.norm(x, axis=2) for x in (a, b, c))
        num = np.einsum("kmj,kmj->km", a, np.cross(b, c))
        den = (la * lb * lc + np.einsum("kmj,kmj->km", a, b) * lc + np.einsum("kmj,kmj->km", a, c) * lb
               + np.einsum("kmj,kmj->km", b, c) * la)
        out[s:s + 256] = (2.0 * np.arctan2(num, den)).sum(axis=1) / (4.0 * np.pi)
    return out


def query_vertices(femur):
    """Indices of the femur vertices on non-articular faces and their area lumps [mm2]."""
    non_art = np.isin(femur.face_region, FEMUR_NON_ARTICULAR)
    t = femur.vertices[femur.faces]
    area = 0.5 * np.linalg.norm(np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]), axis=1)
    w = np.zeros(len(femur.vertices))
    for k in range(3):
        np.add.at(w, femur.faces[non_art, k], area[non_art] / 3.0)
    idx = np.unique(femur.faces[non_art])
    return idx, w[idx]


@dataclass
class BruteResult:
    clearance_mm: np.ndarray
    overlap_area_mm2: np.ndarray
    point_pelvis: np.ndarray
    per_point: list = field(default_factory=list)


def brute_clearance(femur, acetabulum, rotations, keep_points=False):
    """min over non-articular femur vertices of dist(R q, contact triangles) outside the
    acetabulum and -dist(R q, every triangle) inside (winding number of the whole acetabulum >
    1/2); overlap area = sum of the vertex area lumps of the vertices inside; the vertex attaining
    the minimum (pelvis frame)."""
    idx, w = query_vertices(femur)
    Q = femur.vertices[idx]
    contact = acetabulum.vertices[acetabulum.faces[np.isin(acetabulum.face_region, ACETABULUM_CONTACT)]]
    every = acetabulum.vertices[acetabulum.faces]
    out_c, out_a, out_p, per = [], [], [], []
    for R in np.asarray(rotations, float):
        P = Q @ R.T
        d = point_triangle_distance(P, contact).min(axis=1)
        inside = winding_number(P, acetabulum.vertices, acetabulum.faces) > 0.5
        depth = point_triangle_distance(P[inside], every).min(axis=1) if inside.any() else np.zeros(0)
        f = d.copy()
        f[inside] = -depth
        j = int(np.argmin(f))
        out_c.append(f[j])
        out_a.append(w[inside].sum())
        out_p.append(P[j])
        if keep_points:
            per.append(f)
    return BruteResult(np.array(out_c), np.array(out_a), np.array(out_p), per)


def hip_rotation(angles_deg):
    """R = Rz(flexion) Rx(adduction) Ry(rotation) (contract, OpenSim hip_r), (n, 3, 3)."""
    a = np.deg2rad(np.atleast_2d(np.asarray(angles_deg, float)))
    out = []
    for f, ad, r in a:
        cz, sz = np.cos(f), np.sin(f)
        cx, sx = np.cos(ad), np.sin(ad)
        cy, sy = np.cos(r), np.sin(r)
        Rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
        Rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
        Ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
        out.append(Rz @ Rx @ Ry)
    return np.array(out)


# ----------------------------------------------------------------------------- synthetic meshes
@dataclass(frozen=True)
class Mesh:
    vertices: np.ndarray
    faces: np.ndarray
    face_region: np.ndarray
    name: str


@dataclass(frozen=True)
class Hip:
    femur: Mesh
    acetabulum: Mesh
    head_radius_mm: float
    neck_axis: np.ndarray
    acetabular_axis: np.ndarray


def _basis(axis):
    a = np.asarray(axis, float) / np.linalg.norm(axis)
    t = np.array([0.0, 1.0, 0.0]) if abs(a[1]) < 0.9 else np.array([1.0, 0.0, 0.0])
    e1 = t - (t @ a) * a
    e1 /= np.linalg.norm(e1)
    return a, e1, np.cross(a, e1)


def revolve(axis, profile_s, profile_rho, n_seg):
    """Closed surface of revolution: profile (n_seg, n_ring) coordinates along ``axis`` (s) and
    radial (rho) per angle; the first and last rings are closed by pole vertices on the axis.
    Returns vertices, outward-oriented faces and each face's (ring index, angle index)."""
    a, e1, e2 = _basis(axis)
    n_ring = profile_s.shape[1]
    theta = np.linspace(0.0, 2 * np.pi, n_seg, endpoint=False)
    dirs = np.cos(theta)[:, None] * e1 + np.sin(theta)[:, None] * e2        # (n_seg, 3)
    ring_pts = profile_s[..., None] * a + profile_rho[..., None] * dirs[:, None, :]   # (seg, ring, 3)
    pole0 = a * profile_s[:, 0].mean()
    pole1 = a * profile_s[:, -1].mean()
    V = np.vstack([pole0, ring_pts.transpose(1, 0, 2).reshape(-1, 3), pole1])
    vid = lambda r, i: 1 + r * n_seg + (i % n_seg)        # noqa: E731
    F, where = [], []
    for i in range(n_seg):
        F.append([0, vid(0, i + 1), vid(0, i)])
        where.append((0, i))
    for r in range(n_ring - 1):
        for i in range(n_seg):
            F.append([vid(r, i), vid(r, i + 1), vid(r + 1, i + 1)])
            F.append([vid(r, i), vid(r + 1, i + 1), vid(r + 1, i)])
            where += [(r, i), (r, i)]
    last = len(V) - 1
    for i in range(n_seg):
        F.append([last, vid(n_ring - 1, i), vid(n_ring - 1, i + 1)])
        where.append((n_ring - 1, i))
    F = np.array(F, np.int64)
    t = V[F]
    volume = np.einsum("ij,ij->i", t[:, 0], np.cross(t[:, 1], t[:, 2])).sum() / 6.0
    if volume < 0:
        F = F[:, ::-1].copy()
    return V, F, np.array(where)


def synthetic_femur(head_radius=24.0, neck_radius=14.0, cam_mm=4.0, n_ring=60, n_seg=50,
                    neck_axis=(-0.2, -0.6, 0.8)):
    """Femur-like solid (femur frame, head centre at the origin): spherical head, neck along
    ``neck_axis`` (from the head centre toward the neck base), a cam bump on the head-neck
    junction at angle 0 of the neck basis, a flare (trochanter) and an end cap (shaft)."""
    a, e1, e2 = _basis(neck_axis)
    R, rn = head_radius, neck_radius
    s0 = np.sqrt(R ** 2 - rn ** 2)                         # where the sphere meets the neck radius
    n_head = n_ring // 2
    psi = np.linspace(0.0, np.arccos(-s0 / R), n_head + 1)[1:]          # head from its top to s0
    s = np.concatenate([-R * np.cos(psi), np.linspace(s0 + 1.0, 60.0, n_ring - n_head - 2), [62.0, 62.0]])
    rho = np.where(s <= s0, np.sqrt(np.clip(R ** 2 - s ** 2, 0.0, None)), rn)
    rho = rho + np.clip(s - 40.0, 0.0, None) * 0.6         # trochanteric flare
    rho[-2] = rho[-3] * 0.5                                # end cap
    rho[-1] = rho[-3] * 0.15
    theta = np.linspace(0.0, 2 * np.pi, n_seg, endpoint=False)
    bump = cam_mm * np.exp(-((s[None] - (s0 + 2.0)) / 5.0) ** 2) * np.exp(-(np.angle(np.exp(1j * theta)) / 0.7) ** 2)[:, None]
    rho_all = rho[None] + bump * (s[None] > 5.0)
    S = np.broadcast_to(s, rho_all.shape)
    V, F, where = revolve(a, S.copy(), rho_all, n_seg)
    ring = where[:, 0]
    s_face = s[np.minimum(ring, len(s) - 1)]
    region = np.full(len(F), 4, np.int8)                   # shaft (end cap)
    region[s_face < 50.0] = 3                              # trochanter (flare)
    region[s_face < 36.0] = 2                              # neck
    region[s_face < s0 + 8.0] = 1                          # head-neck junction
    region[s_face < s0 - 6.0] = 0                          # head
    return Mesh(V, F, region, "femur")


def synthetic_acetabulum(socket_radius=25.0, outer_radius=42.0, depth=30.0, rim_deg=95.0,
                         overhang_deg=12.0, n_ring=60, n_seg=50, axis=(0.3, -0.5, 0.8)):
    """Acetabulum-like solid (pelvis frame, hip centre at the origin): a thick bowl whose
    hemispherical socket opens along ``axis``; the socket edge reaches ``rim_deg`` from the
    socket bottom, ``overhang_deg`` more on one side (a focal pincer); a flat annular rim; an
    outer wall and base."""
    a, e1, e2 = _basis(axis)
    theta = np.linspace(0.0, 2 * np.pi, n_seg, endpoint=False)
    phi_rim = np.deg2rad(rim_deg + overhang_deg * np.exp(-(np.angle(np.exp(1j * (theta - 1.0))) / 0.9) ** 2))
    n_sock, n_top, n_side, n_base = n_ring // 2, n_ring // 6, n_ring // 6, n_ring - n_ring // 2 - 2 * (n_ring // 6)
    S, P = [], []
    for k in range(n_seg):
        phi = np.linspace(0.0, phi_rim[k], n_sock + 1)[1:]
        s_sock, r_sock = -socket_radius * np.cos(phi), socket_radius * np.sin(phi)
        top_s = s_sock[-1]
        r_top = np.linspace(r_sock[-1], outer_radius, n_top + 1)[1:]
        s_side = np.linspace(top_s, -depth, n_side + 1)[1:]
        r_base = np.linspace(outer_radius, 0.0, n_base + 2)[1:-1]
        S.append(np.concatenate([s_sock, np.full(n_top, top_s), s_side, np.full(n_base, -depth)]))
        P.append(np.concatenate([r_sock, r_top, np.full(n_side, outer_radius), r_base]))
    S, P = np.array(S), np.array(P)
    V, F, where = revolve(a, S, P, n_seg)
    ring = where[:, 0]
    region = np.full(len(F), 3, np.int8)                   # outer
    region[ring < n_sock + n_top - 1] = 2                   # rim (flat annulus)
    region[ring < n_sock - 3] = 0                          # lunate
    region[ring < 5] = 1                                   # fossa
    return Mesh(V, F, region, "acetabulum")


def synthetic_hip(resolution=1.0, cam_mm=4.0, overhang_deg=12.0):
    """A femur and an acetabulum of about 6,000 triangles each at ``resolution`` 1."""
    n_ring, n_seg = max(12, int(60 * resolution)), max(12, int(50 * resolution))
    femur = synthetic_femur(cam_mm=cam_mm, n_ring=n_ring, n_seg=n_seg)
    acet = synthetic_acetabulum(overhang_deg=overhang_deg, n_ring=n_ring, n_seg=n_seg)
    axis = np.array([0.3, -0.5, 0.8])
    return Hip(femur, acet, 24.0, np.array([-0.2, -0.6, 0.8]) / np.linalg.norm([-0.2, -0.6, 0.8]),
               axis / np.linalg.norm(axis))
