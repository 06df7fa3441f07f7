"""Anatomical landmarks and frames of real pelvis and femur meshes, in any scanner orientation.

Pelvis (a whole pelvis: both hip bones, with or without the sacrum)
    The anterior pelvic plane (APP) touches the pelvis at the two anterior superior iliac spines
    (ASIS) and the pubic tubercles: it is the plane of the largest triangle of the pelvis's convex
    hull (the approach of STAPLE's pelvis algorithm, Modenese & Renault 2021, J Biomech 121:110186,
    doi:10.1016/j.jbiomech.2020.110186; written here anew). Its frame: x anterior (the plane's
    normal away from the pelvis), z to the right along the line between the spines (in the
    plane), y = z cross x superior, origin at the ASIS midpoint. This is the reference of the CT
    range-of-motion studies (Kubiak-Langer 2007, Tannast 2007) and of the supine clinical exam.
    The right hip bone is the connected component lying furthest to the right.

Acetabulum and femoral head
    Spheres found by voting along the surface normals (a Hough transform: each vertex votes for
    centres at every radius of the range along its inward (socket) or outward-reversed (head)
    normal; the densest voxel wins), then refined by least squares on the vertices within 1.5 mm
    of the sphere that face its centre. Robust to the fossa, the rim flare and the neck.

Femur (a right femur)
    Long axis by principal components; the proximal end is the one whose sphere has the larger
    support (the head). Epicondyles: the most medial and lateral points of the distal 12 % of the
    bone (medial = toward the head); the knee centre is their midpoint. Frame: origin the head
    centre, y from the knee centre to the head centre (the mechanical axis, as ISB: Wu et al. 2002,
    J Biomech 35:543, doi:10.1016/S0021-9290(01)00222-6), z lateral along the posterior condylar
    axis (the line through the most posterior points of the two condyles, made perpendicular to
    y), x = y cross z anterior. The posterior condylar axis, not ISB's epicondylar one, is the
    rotational reference of femoral version on CT (Murphy et al. 1987, J Bone Joint Surg Am
    69:1169) and of the CT range-of-motion studies; the epicondylar extremes of these meshes
    also lie 17-20 deg off it, more than the 4-7 deg anatomical twist, so they are not used. Neck
    axis: from the head centre through the centroid of the narrowest cross-section of the neck
    between 0.9 and NECK_SCAN_END head radii from the centre (iterated): the waist next to the
    head; further out a cam, which fills the waist, would move the minimum to the trochanteric
    flare and tilt the axis by ~16 deg. Shaft axis: principal axis of the middle
    of the diaphysis (30-70 % of the length).

All lengths in millimetres; frames as (3, 3) arrays whose rows are the unit axes (x, y, z)
expressed in the mesh's coordinates, so ``frame @ (p - origin)`` gives frame coordinates.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InputError

#: radii [mm] searched for the femoral head and the acetabulum
HEAD_RADIUS_RANGE_MM = (15.0, 35.0)
SOCKET_RADIUS_RANGE_MM = (17.0, 38.0)
#: vertices within this distance [mm] of a fitted sphere (and facing its centre) are its support
SPHERE_BAND_MM = 1.5
#: distal fraction of the femur searched for the epicondyles
EPICONDYLE_FRACTION = 0.12
#: distal slab [mm] searched for the most posterior points of the condyles
POSTERIOR_CONDYLE_SLAB_MM = 35.0
#: the narrowest neck section is sought up to this many head radii from the head centre
NECK_SCAN_END = 1.4


def _unit(v):
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def vertex_normals(vertices, faces):
    """(n, 3) area-weighted unit vertex normals of a triangle mesh (outward for outward faces)."""
    v = np.asarray(vertices, float)
    f = np.asarray(faces)
    fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    vn = np.zeros_like(v)
    for k in range(3):
        np.add.at(vn, f[:, k], fn)
    return vn / np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-30)


def vertex_areas(vertices, faces):
    """(n,) a third of the area of the faces around each vertex [mm2]: weights that make vertex
    statistics surface integrals, the same on a coarse and a refined mesh of one surface."""
    v = np.asarray(vertices, float)
    f = np.asarray(faces)
    a = 0.5 * np.linalg.norm(np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]]), axis=1)
    out = np.zeros(len(v))
    for k in range(3):
        np.add.at(out, f[:, k], a / 3.0)
    return out


def principal_axis(points, weights):
    """(centroid (3,), unit direction of largest spread (3,)) of weighted points."""
    centroid = np.average(points, axis=0, weights=weights)
    _, vecs = np.linalg.eigh(np.cov((points - centroid).T, aweights=weights))
    return centroid, vecs[:, 2]


def connected_components(faces, n_vertices):
    """(labels (n_vertices,) int, count) of the face-connected components (scipy csgraph)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components as _cc
    f = np.asarray(faces)
    e = np.concatenate([f[:, [0, 1]], f[:, [1, 2]]])
    graph = coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n_vertices, n_vertices))
    count, labels = _cc(graph, directed=False)
    return labels, count


def submesh(vertices, faces, vertex_mask):
    """The vertices in ``vertex_mask`` and the faces among them, renumbered: (vertices (k, 3),
    faces (m, 3), old index of each kept vertex (k,))."""
    mask = np.asarray(vertex_mask, bool)
    keep = mask[faces].all(axis=1)
    index = -np.ones(len(vertices), np.int64)
    old = np.flatnonzero(mask)
    index[old] = np.arange(len(old))
    return np.ascontiguousarray(vertices[old]), np.ascontiguousarray(index[faces[keep]]), old


def fit_sphere(points):
    """Least-squares sphere through (n >= 4, 3) points: algebraic fit refined geometrically.

    Returns centre (3,), radius."""
    from scipy.optimize import least_squares
    p = np.asarray(points, float)
    A = np.c_[2 * p, np.ones(len(p))]
    b = (p * p).sum(1)
    sol, *_ = np.linalg.lstsq(A, b, rcond=None)
    c0 = sol[:3]
    r0 = np.sqrt(max(sol[3] + c0 @ c0, 1e-12))
    res = least_squares(lambda x: np.linalg.norm(p - x[:3], axis=1) - x[3], np.r_[c0, r0], method="lm")
    return res.x[:3], float(abs(res.x[3]))


@dataclass(frozen=True)
class Sphere:
    """A fitted articular sphere: centre (3,) and radius [mm], the support vertices (mask), the
    RMS distance of the support from the sphere [mm]."""
    centre: np.ndarray
    radius: float
    support: np.ndarray
    rms_mm: float


def sphere_by_normals(vertices, normals, concave, radius_range, voxel_mm=1.0, step_mm=0.5, name="mesh"):
    """The best-supported sphere of a surface (see the module docstring).

    Parameters
    ----------
    vertices, normals : (n, 3) [mm], outward unit normals
    concave : True for a socket (centre along the normal, outside the bone), False for a head
    radius_range : (lo, hi) [mm]

    Returns
    -------
    Sphere
    """
    from scipy.ndimage import uniform_filter
    v = np.asarray(vertices, float)
    nrm = np.asarray(normals, float)
    sign = 1.0 if concave else -1.0
    radii = np.arange(radius_range[0], radius_range[1] + 1e-9, step_mm)
    votes = (v[:, None, :] + sign * nrm[:, None, :] * radii[None, :, None]).reshape(-1, 3)
    lo = votes.min(axis=0)
    cell = np.floor((votes - lo) / voxel_mm).astype(np.int64)
    dims = cell.max(axis=0) + 1
    if np.prod(dims) > 5e7:
        raise InputError(name, "the mesh is too large for the sphere search (is it in mm or m?)")
    counts = np.bincount(np.ravel_multi_index(cell.T, dims), minlength=int(np.prod(dims))).reshape(dims)
    smooth = uniform_filter(counts.astype(float), 3, mode="constant")
    centre = lo + (np.array(np.unravel_index(np.argmax(smooth), dims)) + 0.5) * voxel_mm
    support = None
    for _ in range(6):
        dv = v - centre
        dist = np.linalg.norm(dv, axis=1)
        facing = -sign * np.einsum("ij,ij->i", dv, nrm) / np.maximum(dist, 1e-12) > 0.9
        sel = facing & (dist > radius_range[0]) & (dist < radius_range[1])
        if sel.sum() < 12:
            raise InputError(name, "no spherical articular surface found")
        median = np.median(dist[sel])
        support = sel & (np.abs(dist - median) < SPHERE_BAND_MM)
        if support.sum() < 12:
            raise InputError(name, "no spherical articular surface found")
        centre, radius = fit_sphere(v[support])
    dist = np.linalg.norm(v[support] - centre, axis=1)
    return Sphere(np.asarray(centre), float(radius), support, float(np.sqrt(np.mean((dist - radius) ** 2))))


# ----------------------------------------------------------------------------- pelvis
@dataclass(frozen=True)
class PelvisLandmarks:
    """Landmarks of a whole pelvis [mm, input coordinates].

    axes : (3, 3) rows anterior, superior, right of the anterior pelvic plane frame
    origin : (3,) ASIS midpoint
    asis_right, asis_left, pubis : (3,) the APP's points (pubis: the pubic tubercle on it)
    right_vertices : (n,) bool, the vertices of the right hip bone
    acetabulum : Sphere of the right acetabulum
    """
    axes: np.ndarray
    origin: np.ndarray
    asis_right: np.ndarray
    asis_left: np.ndarray
    pubis: np.ndarray
    right_vertices: np.ndarray
    acetabulum: Sphere


def anterior_pelvic_plane(vertices):
    """(axes (3, 3), origin (3,), asis_right, asis_left, pubis) of the APP (module docstring)."""
    from scipy.spatial import ConvexHull
    v = np.asarray(vertices, float)
    hull = ConvexHull(v)
    s = hull.simplices
    area = np.linalg.norm(np.cross(v[s[:, 1]] - v[s[:, 0]], v[s[:, 2]] - v[s[:, 0]]), axis=1)
    tri = v[s[np.argmax(area)]]
    d = np.linalg.norm(tri[:, None] - tri[None], axis=2)
    i, j = np.unravel_index(np.argmax(d), d.shape)
    k = 3 - i - j
    normal = _unit(np.cross(tri[1] - tri[0], tri[2] - tri[0]))
    if normal @ (tri.mean(axis=0) - v.mean(axis=0)) < 0:
        normal = -normal
    mid = 0.5 * (tri[i] + tri[j])
    right_guess = np.cross(normal, mid - tri[k])      # anterior x superior (pubis -> ASIS midpoint)
    asis = tri[[i, j]]
    if (asis[0] - asis[1]) @ right_guess < 0:
        asis = asis[::-1]
    across = asis[0] - asis[1]
    right = _unit(across - (across @ normal) * normal)
    superior = np.cross(right, normal)
    return np.stack([normal, superior, right]), mid, asis[0], asis[1], tri[k]


def pelvis_landmarks(vertices, faces, name="pelvis"):
    """:class:`PelvisLandmarks` of a whole pelvis mesh (two hip bones, sacrum optional)."""
    v = np.asarray(vertices, float)
    f = np.asarray(faces)
    axes, origin, asis_r, asis_l, pubis = anterior_pelvic_plane(v)
    width = np.linalg.norm(asis_r - asis_l)
    if not 150.0 <= width <= 350.0:
        raise InputError(name, f"no pelvis found: the anterior pelvic plane's spines are {width:.0f} mm "
                               "apart (a whole pelvis in mm has 200-300)")
    labels, count = connected_components(f, len(v))
    lateral = np.array([((v[labels == c] - origin) @ axes[2]).mean() for c in range(count)])
    sizes = np.bincount(labels, minlength=count)
    big = sizes >= 0.05 * len(v)
    if count > 1 and big.sum() >= 2:
        right = labels == int(np.argmax(np.where(big, lateral, -np.inf)))
    else:        # a fused pelvis: its right half
        right = (v - origin) @ axes[2] > 0
    rv, rf, _ = submesh(v, f, right)
    socket = sphere_by_normals(rv, vertex_normals(rv, rf), True, SOCKET_RADIUS_RANGE_MM, name=name)
    if (socket.centre - origin) @ axes[2] < 0:
        raise InputError(name, "the right acetabulum was not found on the right side")
    return PelvisLandmarks(axes, origin, asis_r, asis_l, pubis, right, socket)


# ----------------------------------------------------------------------------- femur
@dataclass(frozen=True)
class FemurLandmarks:
    """Landmarks of a right femur [mm, input coordinates].

    head : Sphere; axes : (3, 3) rows anterior, superior, lateral; knee_centre,
    epicondyle_lateral, epicondyle_medial, condyle_lateral, condyle_medial (the posterior condyle
    points) : (3,); neck_axis : (3,) unit from the head centre
    toward the neck base; shaft_axis : (3,) unit, distal to proximal; length_mm : float
    """
    head: Sphere
    axes: np.ndarray
    knee_centre: np.ndarray
    epicondyle_lateral: np.ndarray
    epicondyle_medial: np.ndarray
    condyle_lateral: np.ndarray
    condyle_medial: np.ndarray
    neck_axis: np.ndarray
    shaft_axis: np.ndarray
    length_mm: float


def femur_landmarks(vertices, faces, name="femur"):
    """:class:`FemurLandmarks` of a whole right femur mesh."""
    v = np.asarray(vertices, float)
    f = np.asarray(faces)
    normals = vertex_normals(v, f)
    weight = vertex_areas(v, f)
    centroid, axis = principal_axis(v, weight)
    t = (v - centroid) @ axis
    length = float(t.max() - t.min())
    if not 200.0 <= length <= 700.0:
        raise InputError(name, f"no whole femur found: the bone is {length:.0f} mm long (a femur in mm "
                               "has 350-550)")
    best = None
    for sign in (1.0, -1.0):
        end = t > t.max() - 0.25 * length if sign > 0 else t < t.min() + 0.25 * length
        try:
            sphere = sphere_by_normals(v[end], normals[end], False, HEAD_RADIUS_RANGE_MM, name=name)
        except InputError:
            continue
        if best is None or sphere.support.sum() > best[1].support.sum():
            best = (sign, sphere, end)
    if best is None:
        raise InputError(name, "no femoral head found")
    sign, head, end = best
    support = np.zeros(len(v), bool)
    support[np.flatnonzero(end)[head.support]] = True
    head = Sphere(head.centre, head.radius, support, head.rms_mm)
    proximal = axis * sign                                   # long axis toward the head
    tp = (v - centroid) @ proximal
    c = head.centre
    medial = _unit((c - centroid) - ((c - centroid) @ proximal) * proximal)
    distal = v[tp < tp.min() + EPICONDYLE_FRACTION * length]
    for _ in range(5):     # the extremes along the current medial direction, until it settles
        ep_lat = distal[np.argmin(distal @ medial)]
        ep_med = distal[np.argmax(distal @ medial)]
        knee = 0.5 * (ep_lat + ep_med)
        y = _unit(c - knee)
        zt = ep_lat - ep_med
        z = _unit(zt - (zt @ y) * y)
        medial = -z
    slab = v[tp < tp.min() + POSTERIOR_CONDYLE_SLAB_MM]
    for _ in range(5):     # the most posterior point of each condyle in the current frame
        x = np.cross(y, z)
        side = (slab - knee) @ z
        pc_med = slab[side < -5.0][np.argmin(slab[side < -5.0] @ x)]
        pc_lat = slab[side > 5.0][np.argmin(slab[side > 5.0] @ x)]
        zt = pc_lat - pc_med
        z = _unit(zt - (zt @ y) * y)
    x = np.cross(y, z)
    mid = (tp > tp.min() + 0.3 * length) & (tp < tp.min() + 0.7 * length)
    mid_centroid, shaft = principal_axis(v[mid], weight[mid])
    shaft = shaft * np.sign(shaft @ proximal)
    neck = neck_axis_of(v, f, head.centre, head.radius, _unit(mid_centroid - c), name)
    return FemurLandmarks(head, np.stack([x, y, z]), knee, ep_lat, ep_med, pc_lat, pc_med, neck, shaft, length)


def section_ring(vertices, faces, point, normal, near_mm):
    """Segment midpoints (k, 3) and lengths (k,) of the plane section through ``point`` with
    ``normal`` within ``near_mm`` of ``point``."""
    from .morphology import plane_section
    segs = plane_section(vertices, faces, point, normal)
    mid = segs.mean(axis=1) + point
    keep = np.linalg.norm(mid - point, axis=1) < near_mm
    return mid[keep], np.linalg.norm(segs[keep, 1] - segs[keep, 0], axis=1)


def neck_axis_of(vertices, faces, head_centre, head_radius, toward_shaft, name="femur"):
    """Unit neck axis (from the head centre toward the neck base): the direction through the
    centroid of the narrowest neck section (module docstring). ``toward_shaft``: a first guess of
    the direction from the head toward the bone's middle."""
    v = np.asarray(vertices, float)
    R = float(head_radius)
    c = np.asarray(head_centre, float)
    # first guess: the centroid of the bone between 1.1 R and 1.6 R from the centre, on the shaft side
    d = np.linalg.norm(v - c, axis=1)
    band = (d > 1.1 * R) & (d < 1.6 * R) & ((v - c) @ toward_shaft > 0)
    if band.sum() < 10:
        raise InputError(name, "no femoral neck found next to the head")
    a = _unit(v[band].mean(axis=0) - c)
    for _ in range(4):
        best = None
        for s in np.linspace(0.9 * R, NECK_SCAN_END * R, 11):
            p = c + s * a
            mid, length = section_ring(v, faces, p, a, 1.2 * R)
            if length.sum() < 1e-6:
                continue
            centroid = (mid * length[:, None]).sum(axis=0) / length.sum()
            radius = np.average(np.linalg.norm(mid - centroid, axis=1), weights=length)
            if best is None or radius < best[0]:
                best = (radius, centroid)
        if best is None:
            raise InputError(name, "no femoral neck found next to the head")
        a = _unit(best[1] - c)
    return a
