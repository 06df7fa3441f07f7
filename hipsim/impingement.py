"""Femoroacetabular clearance: the femur posed by the hip angles against the acetabulum.

Definitions (all in the pelvis frame, millimetres; both meshes have their origin at the hip
joint centre, see the issue-3 interface contract)
---------------------------------------------------------------------------------------------
Query points ``Q``
    The femur vertices that belong to at least one non-articular triangle (regions
    head_neck_junction 1, neck 2, trochanter 3). A pose ``R`` (3, 3) moves them to ``R q``.
Contact surface ``C``
    The acetabulum triangles of regions rim 2, outer 3 and labrum 4: the bone (and labrum) that
    the femur can impinge on. The lunate surface (0) and fossa (1) are articular / non-bearing
    and excluded from the distance, but they close the solid and so take part in the sign.
Signed clearance of a point
    ``f(p) = s(p) * dist(p, C)``: the exact Euclidean distance to the nearest point of ``C``,
    negative when ``p`` lies inside the closed acetabulum solid (sign from the angle-weighted
    pseudo-normal of the nearest feature of the whole surface, Baerentzen & Aanaes 2005,
    doi:10.1109/TVCG.2005.49; the tests check it against the generalised winding number).
Outputs of :meth:`ClearanceModel.query`, per pose
    ``clearance_mm`` = min over ``Q`` of ``f(R q)``; > 0 is the gap between the non-articular
    femur vertices and the rim/outer/labrum surface, < 0 bony overlap (minus the penetration
    depth of the deepest vertex, measured to the contact surface).
    ``point_pelvis`` (3,) the femur vertex that attains it; ``rim_point_pelvis`` (3,) the nearest
    point of ``C`` to it (where on the acetabulum the closest approach / overlap is).
    ``clock_h`` the clock position of ``rim_point_pelvis`` about the acetabular axis (right hip,
    contract's face: 12 superior, 3 anterior, 6 inferior, 9 posterior; in [0, 12)).
    ``overlap_depth_mm`` = max(0, -clearance_mm).
    ``overlap_area_mm2`` = sum over query vertices inside the acetabulum solid of one third of the
    area of their incident non-articular femur triangles (the area of non-articular femur
    surface inside the solid, resolved to the vertex lumps of the mesh).
    ``n_exact`` diagnostic: exact point-triangle evaluations the pose needed.

What the vertex sampling means: the clearance is a vertex-to-surface distance. Where the femur
surface is flat between vertices it equals the surface-to-surface distance; a sharp acetabular
edge facing the middle of a large femur triangle can come closer than any femur vertex, by at
most the sagitta of that triangle (about edge^2 / (8 radius): 0.03 mm for 2 mm edges on a 15 mm
neck). The meshes' resolution therefore bounds that error, not this module.

Acceleration (built once per morphology): a grid of exact node values of the distance to ``C``
and of the signed distance to the whole surface (plus each node's nearest contact triangle),
used only to bound and cull: Lipschitz and convexity bounds per femur point cluster and per
point; the candidates that can still hold the minimum are evaluated exactly (per-cell candidate
triangle lists near the surface, bounding volume hierarchies elsewhere), so the result does not
depend on the grid spacing or cluster size (which only set the speed); with ``tolerance_mm=0``
it equals the brute force to rounding, with the default 0.05 mm it is never more than that above
it. Query points nearer the hip centre than any point of the acetabulum solid, or farther than
all of it, are outside it in every pose (a rotation keeps |q|), which settles their sign without
any lookup, and |q| alone bounds their distance to the contact surface, which skips far points
and clusters once a nearer candidate is known. See :mod:`hipsim._kernels.clearance`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._kernels import clearance as _k

FEMUR_NON_ARTICULAR = (1, 2, 3)          # head_neck_junction, neck, trochanter
ACETABULUM_CONTACT = (2, 3, 4)           # rim, outer, labrum
BVH_LEAF_SIZE = 4
#: default guaranteed error bound of ``clearance_mm`` [mm] (:class:`ClearanceModel`)
DEFAULT_TOLERANCE_MM = 0.05


@dataclass(frozen=True)
class ClearanceResult:
    """Per-pose clearance (see the module docstring for the exact definitions).

    clearance_mm (n,) [mm]; clock_h (n,) [h]; overlap_depth_mm (n,) [mm] >= 0;
    overlap_area_mm2 (n,) [mm2] >= 0; point_pelvis (n, 3) [mm]; rim_point_pelvis (n, 3) [mm];
    n_exact (n,) int.
    """
    clearance_mm: np.ndarray
    clock_h: np.ndarray
    overlap_depth_mm: np.ndarray
    overlap_area_mm2: np.ndarray
    point_pelvis: np.ndarray
    rim_point_pelvis: np.ndarray
    n_exact: np.ndarray


# ----------------------------------------------------------------------------- mesh helpers
def _mesh_arrays(mesh, name):
    try:
        v = np.ascontiguousarray(mesh.vertices, dtype=np.float64)
        f = np.ascontiguousarray(mesh.faces, dtype=np.int64)
        r = np.ascontiguousarray(mesh.face_region).astype(np.int64)
    except (AttributeError, TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected a Mesh with vertices, faces and face_region ({exc})") from None
    if v.ndim != 2 or v.shape[1] != 3 or len(v) < 4 or not np.all(np.isfinite(v)):
        raise ValueError(f"{name}: vertices must be a finite (n >= 4, 3) array")
    if f.ndim != 2 or f.shape[1] != 3 or len(f) < 4 or f.min() < 0 or f.max() >= len(v):
        raise ValueError(f"{name}: faces must be an (m >= 4, 3) array of vertex indices")
    if r.shape != (len(f),):
        raise ValueError(f"{name}: face_region must have one entry per face")
    return v, f, r


def face_normals(vertices, faces):
    """Unit outward normals (m, 3) and areas (m,) [mm2] of the triangles."""
    t = vertices[faces]
    n = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
    norm = np.linalg.norm(n, axis=1)
    return n / np.where(norm > 0, norm, 1.0)[:, None], 0.5 * norm


def pseudo_normals(vertices, faces, name="mesh"):
    """Face, edge and angle-weighted vertex pseudo-normals of a closed oriented manifold.

    Returns face_normal (m, 3), edge_normal (m, 3, 3) for each face's edges (ab, bc, ca) = sum
    of the two adjacent face normals, vertex_normal (n, 3) = sum of incident face normals
    weighted by the incident angle (Baerentzen & Aanaes 2005). Raises ValueError when an edge
    is not shared by exactly two faces with opposite orientation (not watertight / oriented).
    """
    fn, area = face_normals(vertices, faces)
    if np.any(area <= 0):
        raise ValueError(f"{name}: {int(np.sum(area <= 0))} degenerate (zero-area) triangles")
    nv = len(vertices)
    a, b = faces, np.roll(faces, -1, axis=1)               # directed edges ab, bc, ca
    key = (a * nv + b).ravel()
    twin = (b * nv + a).ravel()
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    if np.any(sorted_key[1:] == sorted_key[:-1]):
        raise ValueError(f"{name}: not a consistently oriented manifold (a directed edge repeats)")
    pos = np.searchsorted(sorted_key, twin)
    pos = np.minimum(pos, len(key) - 1)
    if np.any(sorted_key[pos] != twin):
        raise ValueError(f"{name}: not watertight ({int(np.sum(sorted_key[pos] != twin))} open edges)")
    other_face = order[pos] // 3
    edge_normal = (np.repeat(fn, 3, axis=0) + fn[other_face]).reshape(len(faces), 3, 3)
    t = vertices[faces]
    vertex_normal = np.zeros((nv, 3))
    for k in range(3):
        e1 = t[:, (k + 1) % 3] - t[:, k]
        e2 = t[:, (k + 2) % 3] - t[:, k]
        cosang = np.einsum("ij,ij->i", e1, e2) / (np.linalg.norm(e1, axis=1) * np.linalg.norm(e2, axis=1))
        ang = np.arccos(np.clip(cosang, -1.0, 1.0))
        np.add.at(vertex_normal, faces[:, k], ang[:, None] * fn)
    return np.ascontiguousarray(fn), np.ascontiguousarray(edge_normal), vertex_normal


@dataclass(frozen=True)
class BVH:
    """Axis-aligned bounding box tree over triangles (median split on the longest axis)."""
    bmin: np.ndarray        # (N, 3)
    bmax: np.ndarray        # (N, 3)
    left: np.ndarray        # (N,) int64
    right: np.ndarray       # (N,) int64
    start: np.ndarray       # (N,) int64, first slot of a leaf
    count: np.ndarray       # (N,) int64, > 0 for a leaf
    tri: np.ndarray         # (M, 3, 3) triangle corners by slot
    face: np.ndarray        # (M,) int64 face index of each slot

    def arrays(self):
        return self.bmin, self.bmax, self.left, self.right, self.start, self.count, self.tri


def build_bvh(vertices, faces, face_ids, leaf_size=BVH_LEAF_SIZE):
    """BVH over the faces ``face_ids`` of a mesh."""
    face_ids = np.asarray(face_ids, dtype=np.int64)
    tri = vertices[faces[face_ids]]
    lo, hi, centre = tri.min(axis=1), tri.max(axis=1), tri.mean(axis=1)
    bmin, bmax, left, right, start, count = [], [], [], [], [], []
    slots = []

    def node(ids):
        i = len(bmin)
        bmin.append(lo[ids].min(axis=0))
        bmax.append(hi[ids].max(axis=0))
        left.append(-1)
        right.append(-1)
        start.append(0)
        count.append(0)
        if len(ids) <= leaf_size:
            start[i] = len(slots)
            count[i] = len(ids)
            slots.extend(ids.tolist())
            return i
        c = centre[ids]
        axis = int(np.argmax(c.max(axis=0) - c.min(axis=0)))
        order = ids[np.argsort(c[:, axis], kind="stable")]
        half = len(order) // 2
        left[i] = node(order[:half])
        right[i] = node(order[half:])
        return i

    node(np.arange(len(face_ids)))
    slots = np.asarray(slots, dtype=np.int64)
    return BVH(np.ascontiguousarray(bmin), np.ascontiguousarray(bmax), np.asarray(left, np.int64),
               np.asarray(right, np.int64), np.asarray(start, np.int64), np.asarray(count, np.int64),
               np.ascontiguousarray(tri[slots]), face_ids[slots])


def clock_position(points_pelvis, acetabular_axis):
    """Clock position [h] in [0, 12) of pelvis-frame points about the acetabular axis (right hip,
    seen from lateral: 12 superior, 3 anterior, 6 inferior, 9 posterior; interface contract)."""
    p = np.asarray(points_pelvis, dtype=float).reshape(-1, 3)
    a = np.asarray(acetabular_axis, dtype=float)
    a = a / np.linalg.norm(a)
    sup = np.array([0.0, 1.0, 0.0]) - a[1] * a
    ant = np.array([1.0, 0.0, 0.0]) - a[0] * a
    sup /= np.linalg.norm(sup)
    ant /= np.linalg.norm(ant)
    u = p - np.outer(p @ a, a)
    h = np.arctan2(u @ ant, u @ sup) / (2 * np.pi) * 12.0
    return np.mod(h, 12.0)


def estimate_acetabular_axis(vertices, faces, face_region):
    """Unit axis from the hip centre out of the socket opening: the area-weighted mean outward
    normal of the socket surface (lunate + fossa), which faces the cavity and so the opening."""
    fn, area = face_normals(vertices, faces)
    socket = np.isin(face_region, (0, 1))
    if not socket.any():
        raise ValueError("acetabulum: no lunate/fossa faces to estimate the acetabular axis from")
    axis = (fn[socket] * area[socket, None]).sum(axis=0)
    return axis / np.linalg.norm(axis)


def _clusters(points, size):
    """Group points in cubic cells of edge ``size``: order (n,), start (k + 1,), centre (k, 3),
    radius (k,) of each group's bounding sphere (centre = box centre)."""
    cell = np.floor(points / size).astype(np.int64)
    cell -= cell.min(axis=0)
    dims = cell.max(axis=0) + 1
    key = (cell[:, 0] * dims[1] + cell[:, 1]) * dims[2] + cell[:, 2]
    order = np.argsort(key, kind="stable")
    uniq, start = np.unique(key[order], return_index=True)
    start = np.append(start, len(order)).astype(np.int64)
    centres, radii = [], []
    for s, e in zip(start[:-1], start[1:]):
        p = points[order[s:e]]
        c = 0.5 * (p.min(axis=0) + p.max(axis=0))
        centres.append(c)
        radii.append(np.sqrt(((p - c) ** 2).sum(axis=1).max()))
    return order, start, np.asarray(centres), np.asarray(radii)


# ----------------------------------------------------------------------------- the model
class ClearanceModel:
    """Clearance queries of one hip geometry (built once; see the module docstring).

    Parameters
    ----------
    hip_geometry : object with ``femur`` and ``acetabulum`` Mesh fields (vertices [mm], faces,
        face_region), optional ``acetabular_axis`` (3,) (pelvis frame; estimated from the socket
        when absent)
    grid_spacing_mm : float, spacing of the culling grid (speed only, not accuracy)
    cluster_size_mm : float, edge of the cells that group the femur query points
    list_band_mm : float, grid cells closer than this to the contact surface keep a list of
        their candidate triangles (faster exact evaluations; elsewhere the BVH is used)
    tolerance_mm : float >= 0, guaranteed bound on the error of ``clearance_mm`` (0: exact to
        rounding); near-ties within it are not refined, which saves exact evaluations. The
        default, DEFAULT_TOLERANCE_MM = 0.05 mm, is half the 0.1 mm accuracy asked of the kernel
        and of the order of the meshes' own vertex-sampling error (see the module docstring);
        it makes bulk queries ~1.4x faster. The overlap area and the signs do not depend on it.
    """

    def __init__(self, hip_geometry, grid_spacing_mm=1.25, cluster_size_mm=15.0, list_band_mm=5.0,
                 tolerance_mm=None):
        if tolerance_mm is None:
            tolerance_mm = DEFAULT_TOLERANCE_MM
        if not (np.isfinite(grid_spacing_mm) and 0.05 <= grid_spacing_mm <= 10):
            raise ValueError("grid_spacing_mm must be in [0.05, 10]")
        if not (np.isfinite(cluster_size_mm) and 0.5 <= cluster_size_mm <= 100):
            raise ValueError("cluster_size_mm must be in [0.5, 100]")
        if not (np.isfinite(tolerance_mm) and 0.0 <= tolerance_mm <= 1.0):
            raise ValueError("tolerance_mm must be in [0, 1]")
        self.tolerance_mm = float(tolerance_mm)
        try:
            femur, acetabulum = hip_geometry.femur, hip_geometry.acetabulum
        except AttributeError:
            raise ValueError("hip_geometry must have 'femur' and 'acetabulum' meshes") from None
        fv, ff, fr = _mesh_arrays(femur, "femur")
        av, af, ar = _mesh_arrays(acetabulum, "acetabulum")

        # femur query points: vertices of non-articular faces, with their area lumps
        non_art = np.isin(fr, FEMUR_NON_ARTICULAR)
        if not non_art.any():
            raise ValueError("femur: no non-articular faces (regions 1, 2, 3)")
        _, farea = face_normals(fv, ff)
        vweight = np.zeros(len(fv))
        for k in range(3):
            np.add.at(vweight, ff[non_art, k], farea[non_art] / 3.0)
        qidx = np.unique(ff[non_art])
        order, cl_start, cl_centre, cl_radius = _clusters(fv[qidx], cluster_size_mm)
        self.query_vertex = qidx[order]                       # femur vertex index of each point
        self.query_points = np.ascontiguousarray(fv[self.query_vertex])
        self.query_weight = np.ascontiguousarray(vweight[self.query_vertex])
        self.cluster_start, self.cluster_centre, self.cluster_radius = cl_start, cl_centre, cl_radius

        # acetabulum: pseudo-normals (validates closed + oriented), BVHs, axis
        self.face_normal, self.edge_normal, self.vertex_normal = pseudo_normals(av, af, "acetabulum")
        contact = np.flatnonzero(np.isin(ar, ACETABULUM_CONTACT))
        if contact.size == 0:
            raise ValueError("acetabulum: no contact faces (regions rim 2, outer 3, labrum 4)")
        self.contact_faces = contact
        self.acetabulum_faces = af
        self.bvh_contact = build_bvh(av, af, contact)
        self.bvh_all = build_bvh(av, af, np.arange(len(af)))
        axis = getattr(hip_geometry, "acetabular_axis", None)
        if axis is None:
            axis = estimate_acetabular_axis(av, af, ar)
        axis = np.asarray(axis, dtype=float)
        if axis.shape != (3,) or not np.all(np.isfinite(axis)) or np.linalg.norm(axis) == 0:
            raise ValueError("acetabular_axis must be a finite nonzero (3,) vector")
        self.acetabular_axis = axis / np.linalg.norm(axis)

        # the grid: the acetabulum's box with a margin larger than any cluster radius, limited to
        # the shell of radii the query points can reach
        h = float(grid_spacing_mm)
        radius = np.linalg.norm(self.query_points, axis=1)
        rmin, rmax = radius.min(), radius.max()
        self.box_lo, self.box_hi = av.min(axis=0), av.max(axis=0)
        # cluster centres may lie up to a cluster radius outside the points' shell
        margin = cl_radius.max() + 2.0 * h + 1.0
        lo = np.maximum(self.box_lo - margin, -rmax - margin)
        hi = np.minimum(self.box_hi + margin, rmax + margin)
        shape = np.maximum(np.ceil((hi - lo) / h).astype(np.int64) + 1, 2)
        self.grid_origin, self.grid_spacing = lo.astype(np.float64), h
        # a query point is within sqrt(3) h of the nodes it reads (the cell's corners)
        self.grid = np.empty((*shape, 2))
        self.grid_hint = np.empty(tuple(shape), np.int32)
        _k.fill_grid(self.grid_origin, h, self.grid, self.grid_hint, max(rmin - margin, 0.0), rmax + margin,
                     *self.bvh_contact.arrays(), *self.bvh_all.arrays(), self.bvh_all.face, af,
                     self.face_normal, self.edge_normal, self.vertex_normal)
        # trilinear interpolation of a 1-Lipschitz function errs by at most sqrt(3)/2 h
        self.grid_error = np.sqrt(3.0) / 2.0 * h * (1.0 + 1e-9) + 1e-9
        # points nearer the hip centre than the whole acetabulum solid are outside it in every pose
        stack = np.empty(_k.STACK_SIZE, np.int64)
        d0, slot, qx, qy, qz, feat = _k.bvh_nearest(0.0, 0.0, 0.0, np.inf, *self.bvh_all.arrays(), stack)
        origin_outside = _k.feature_sign(0.0, 0.0, 0.0, qx, qy, qz, slot, feat, self.bvh_all.face, af,
                                         self.face_normal, self.edge_normal, self.vertex_normal) > 0
        self.solid_min_radius = d0 if origin_outside else 0.0
        # ... and so are points farther from it than every acetabulum vertex
        self.solid_max_radius = float(np.linalg.norm(av, axis=1).max())
        self.query_always_outside = (radius < self.solid_min_radius * (1 - 1e-12)) | \
            (radius > self.solid_max_radius * (1 + 1e-12))
        self.cluster_always_outside = np.array([self.query_always_outside[a:b].all()
                                                for a, b in zip(cl_start[:-1], cl_start[1:])])
        # pose-independent lower bounds on the distance to the contact surface (rotations keep
        # |q|): |q| - max |x| and min |x| - |q| over x in the contact triangles; used to skip far
        # points and clusters without a grid lookup once a nearer candidate is known
        c_vert = av[af[contact]].reshape(-1, 3)
        contact_max_radius = float(np.linalg.norm(c_vert, axis=1).max())
        contact_min_radius = _k.bvh_nearest(0.0, 0.0, 0.0, np.inf, *self.bvh_contact.arrays(), stack)[0]
        far = np.maximum(np.maximum(radius - contact_max_radius, contact_min_radius - radius), 0.0)
        self.query_far_bound = np.where(self.query_always_outside, far * (1 - 1e-12), 0.0)
        self.cluster_far_bound = np.array([self.query_far_bound[a:b].min()
                                           for a, b in zip(cl_start[:-1], cl_start[1:])])
        self.cluster_order = np.argsort(self.cluster_far_bound, kind="stable").astype(np.int64)
        # per-cell candidate triangles near the surfaces (exact evaluations without the BVH)
        self.contact_cells = _k.build_cell_lists(self.grid_origin, h, self.grid, 0, float(list_band_mm),
                                                 *self.bvh_contact.arrays())
        self.sign_cells = _k.build_cell_lists(self.grid_origin, h, self.grid, 1, 2.0 * h,
                                              *self.bvh_all.arrays())

    def to_arrays(self):
        """Every attribute as a flat name -> array dict (BVHs as ``name.field``, cell lists as
        ``name.i``), for :mod:`hipsim.disk_cache`; :meth:`from_arrays` rebuilds the model."""
        out = {}
        for name, value in vars(self).items():
            if isinstance(value, BVH):
                out.update({f"{name}.{f}": getattr(value, f) for f in BVH.__dataclass_fields__})
            elif isinstance(value, tuple):
                out.update({f"{name}.{i}": v for i, v in enumerate(value)})
            else:
                out[name] = np.asarray(value)
        return out

    @classmethod
    def from_arrays(cls, arrays):
        """The model of :meth:`to_arrays`' output (no rebuilding)."""
        self = cls.__new__(cls)
        groups = {}
        for key, value in arrays.items():
            name, _, part = key.partition(".")
            if part:
                groups.setdefault(name, {})[part] = value
            else:
                setattr(self, name, value.item() if value.ndim == 0 and value.dtype.kind in "fbi" else value)
        for name, parts in groups.items():
            if set(parts) == set(BVH.__dataclass_fields__):
                setattr(self, name, BVH(**parts))
            else:
                setattr(self, name, tuple(parts[str(i)] for i in range(len(parts))))
        return self

    @property
    def n_query_points(self):
        return len(self.query_points)

    def query(self, rotations):
        """Clearance of each pose.

        Parameters
        ----------
        rotations : (n, 3, 3) float, femur-to-pelvis rotations (e.g. ``morphology.hip_rotation``)

        Returns
        -------
        ClearanceResult
        """
        R = np.asarray(rotations, dtype=np.float64)
        if R.ndim == 2:
            R = R[None]
        if R.ndim != 3 or R.shape[1:] != (3, 3):
            raise ValueError(f"rotations must have shape (n, 3, 3), got {np.shape(rotations)}")
        if not np.all(np.isfinite(R)):
            raise ValueError("rotations must be finite")
        if R.shape[0] and np.abs(np.einsum("nij,nkj->nik", R, R) - np.eye(3)).max() > 1e-6:
            raise ValueError("rotations must be orthonormal (R R^T = I)")
        if R.shape[0] and np.any(np.linalg.det(R) < 0):
            raise ValueError("rotations must be proper (det R = +1)")
        R = np.ascontiguousarray(R)
        n = len(R)
        clearance = np.empty(n)
        point = np.empty((n, 3))
        surface = np.empty((n, 3))
        area = np.empty(n)
        n_exact = np.empty(n, np.int64)
        _k.clearance_poses(R, self.query_points, self.query_weight, self.query_always_outside,
                           self.cluster_start, self.cluster_centre, self.cluster_radius,
                           self.cluster_always_outside, self.cluster_far_bound, self.cluster_order,
                           self.query_far_bound, self.grid_origin,
                           self.grid_spacing, self.grid_error, self.grid, self.grid_hint, self.box_lo, self.box_hi, self.tolerance_mm,
                           *self.bvh_contact.arrays(), *self.bvh_all.arrays(), self.bvh_all.face,
                           self.acetabulum_faces, self.face_normal, self.edge_normal,
                           self.vertex_normal, *self.contact_cells, *self.sign_cells,
                           clearance, point, surface, area, n_exact)
        clock = clock_position(surface, self.acetabular_axis) if n else np.empty(0)
        return ClearanceResult(clearance_mm=clearance, clock_h=clock,
                               overlap_depth_mm=np.maximum(0.0, -clearance), overlap_area_mm2=area,
                               point_pelvis=point, rim_point_pelvis=surface, n_exact=n_exact)


def warmup():
    """Compile (or load from the cache) every clearance kernel on a tiny model."""
    ClearanceModel(_tiny_geometry(), grid_spacing_mm=2.0).query(np.eye(3)[None])


def _tiny_geometry():
    from types import SimpleNamespace

    def octahedron(scale, centre, region):
        v = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]], float)
        f = np.array([[0, 2, 4], [2, 1, 4], [1, 3, 4], [3, 0, 4], [2, 0, 5], [1, 2, 5], [3, 1, 5],
                      [0, 3, 5]])
        return SimpleNamespace(vertices=v * scale + centre, faces=f,
                               face_region=np.full(8, region, np.int8))
    return SimpleNamespace(femur=octahedron(5.0, np.array([0.0, -10.0, 0.0]), 2),
                           acetabulum=octahedron(6.0, np.array([0.0, 10.0, 0.0]), 2),
                           acetabular_axis=np.array([0.0, 0.0, 1.0]))
