"""Femoroacetabular clearance: the femur posed by the hip angles against the pelvis.

Definitions (all in the pelvis frame, millimetres; both meshes have their origin at the hip
joint centre)
---------------------------------------------------------------------------------------------
Query points ``Q``
    The femur vertices that belong to at least one non-articular triangle (regions
    head_neck_junction 1, neck 2, trochanter 3). A pose ``R`` (3, 3) moves them to ``R q``.
Contact surface ``C``
    The pelvis triangles of regions rim 2, outer 3 and labrum 4: the bone (and labrum) that the
    femur can impinge on. The lunate surface (0) and fossa (1) are articular / non-bearing and
    excluded from the distance, but they close the solid and so take part in the sign.
Signed clearance of a point
    ``f(p) = dist(p, C)``, the exact Euclidean distance to the nearest point of ``C``, when ``p``
    lies outside the closed pelvis solid; ``-dist(p, S)``, minus its depth below the whole
    surface ``S``, when inside (inside from the angle-weighted pseudo-normal of the nearest
    feature of the whole surface, Baerentzen & Aanaes 2005, doi:10.1109/TVCG.2005.49; the tests
    check it against the generalised winding number). Outside, the lunate does not count (the
    head sits next to it); inside, the depth is into whatever bone the point is in, the rim's or,
    for a cam turning into the socket, the lunate's.
Outputs of :meth:`ClearanceModel.query`, per pose
    ``clearance_mm`` = min over ``Q`` of ``f(R q)``; > 0 is the gap between the non-articular
    femur and the rim / outer / labrum surface, < 0 bony overlap (minus the depth of the deepest
    inside vertex).
    ``point_pelvis`` (3,) the femur vertex that attains it; ``rim_point_pelvis`` (3,) its nearest
    point of ``C`` (outside) or of the whole surface (inside): where on the pelvis the closest
    approach / overlap is.
    ``clock_h`` the clock position of ``rim_point_pelvis`` about the acetabular axis (12
    superior, 3 anterior, 6 inferior, 9 posterior on a right hip, against the hip's anatomical
    axes; in [0, 12)).
    ``overlap_depth_mm`` = max(0, -clearance_mm).
    ``overlap_area_mm2`` = sum over query vertices inside the pelvis solid of one third of the
    area of their incident non-articular femur triangles.
    ``n_exact`` diagnostic: exact point-triangle and nearest-feature evaluations the pose needed.

What the vertex sampling means: the clearance is a vertex-to-surface distance. Where the femur
surface is flat between vertices it equals the surface-to-surface distance; a sharp pelvic edge
facing the middle of a femur triangle can come closer than any femur vertex, by at most the
sagitta of that triangle (about edge^2 / (8 radius): 0.01 mm for the real hips' 1 mm edges on a
15 mm neck). The meshes' resolution bounds that error, not this module.

Acceleration: a sphere tree over the query points and box trees (BVHs) over the pelvis's contact
and whole surfaces, searched pair-wise with exact bounds (:mod:`hipsim._kernels.clearance`), so
the result is exact (to rounding, or within a requested tolerance on positive distances). A new
bone shape with the same triangles only refits the bounds (:meth:`ClearanceModel.reshaped`),
which takes milliseconds: nothing is precomputed over space.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._kernels import clearance as _k
from .mesh import clock_position

FEMUR_NON_ARTICULAR = (1, 2, 3)          # head_neck_junction, neck, trochanter
ACETABULUM_CONTACT = (2, 3, 4)           # rim, outer, labrum
_NON_ARTICULAR = np.isin(np.arange(128), FEMUR_NON_ARTICULAR)     # by region code
BVH_LEAF_SIZE = 4
SPHERE_LEAF_SIZE = 8
#: default guaranteed error bound of ``clearance_mm`` [mm] (:class:`ClearanceModel`)
DEFAULT_TOLERANCE_MM = 0.05

BVH = _k.BVH


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


def edge_twins(faces, n_vertices, name="mesh"):
    """(m, 3) the face across each face's edge (ab, bc, ca). Raises ValueError when an edge is not
    shared by exactly two faces with opposite orientation (not watertight / oriented)."""
    a, b = faces, np.roll(faces, -1, axis=1)               # directed edges ab, bc, ca
    key = (a * n_vertices + b).ravel()
    twin = (b * n_vertices + a).ravel()
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    if np.any(sorted_key[1:] == sorted_key[:-1]):
        raise ValueError(f"{name}: not a consistently oriented manifold (a directed edge repeats)")
    pos = np.minimum(np.searchsorted(sorted_key, twin), len(key) - 1)
    if np.any(sorted_key[pos] != twin):
        raise ValueError(f"{name}: not watertight ({int(np.sum(sorted_key[pos] != twin))} open edges)")
    return (order[pos] // 3).reshape(len(faces), 3)


def pseudo_normals(vertices, faces, name="mesh", twins=None):
    """Face, edge and angle-weighted vertex pseudo-normals of a closed oriented manifold.

    Returns face_normal (m, 3), edge_normal (m, 3, 3) for each face's edges (ab, bc, ca) = sum
    of the two adjacent face normals, vertex_normal (n, 3) = sum of incident face normals
    weighted by the incident angle (Baerentzen & Aanaes 2005). Raises ValueError when the mesh is
    not watertight and oriented (``twins``, from :func:`edge_twins`, skips that check) or has
    degenerate triangles.
    """
    v = np.ascontiguousarray(vertices, np.float64)
    f = np.ascontiguousarray(faces, np.int64)
    if twins is None:
        twins = edge_twins(f, len(v), name)
    fn, en = np.empty((len(f), 3)), np.empty((len(f), 3, 3))
    vn, area = np.empty((len(v), 3)), np.empty(len(f))
    _k.pseudo_normals(v, f, twins, fn, en, vn, area)
    if np.any(area <= 0):
        raise ValueError(f"{name}: {int(np.sum(area <= 0))} degenerate (zero-area) triangles")
    return fn, en, vn


def build_bvh(vertices, faces, face_ids, leaf_size=BVH_LEAF_SIZE):
    """BVH (:class:`hipsim._kernels.clearance.BVH`) over the faces ``face_ids`` of a mesh."""
    face_ids = np.asarray(face_ids, dtype=np.int64)
    tri = vertices[faces[face_ids]]
    bmin, bmax, left, right, start, count, order = _k.build_tree(
        np.ascontiguousarray(tri.min(axis=1)), np.ascontiguousarray(tri.max(axis=1)), leaf_size)
    return BVH(bmin, bmax, left, right, start, count, np.ascontiguousarray(tri[order]), face_ids[order])


def joined_bvh(a, b):
    """One BVH over the triangles of BVHs ``a`` and ``b``: a root whose children are their roots,
    ``a``'s slots first and its nodes next (1 .. len(a)), so ``a`` is a part of it
    (:func:`contact_part`) and one refit serves both."""
    na, ma = len(a.left), len(a.face)
    shift = lambda child, by: np.where(child >= 0, child + by, -1)     # noqa: E731
    return BVH(bmin=np.vstack([np.minimum(a.bmin[0], b.bmin[0]), a.bmin, b.bmin]),
               bmax=np.vstack([np.maximum(a.bmax[0], b.bmax[0]), a.bmax, b.bmax]),
               left=np.concatenate([[1], shift(a.left, 1), shift(b.left, 1 + na)]).astype(np.int64),
               right=np.concatenate([[1 + na], shift(a.right, 1), shift(b.right, 1 + na)]).astype(np.int64),
               start=np.concatenate([[0], a.start, b.start + ma]).astype(np.int64),
               count=np.concatenate([[0], a.count, b.count]).astype(np.int64),
               tri=np.ascontiguousarray(np.concatenate([a.tri, b.tri])),
               face=np.concatenate([a.face, b.face]).astype(np.int64))


def contact_part(joined, part):
    """The BVH ``part`` (the first of :func:`joined_bvh`) as views into a refit of the joined one."""
    if len(joined.left) == len(part.left):          # nothing was joined to it
        return joined
    na, ma = len(part.left), len(part.face)
    return part._replace(bmin=joined.bmin[1:1 + na], bmax=joined.bmax[1:1 + na], tri=joined.tri[:ma])


def moved_vertices(vertices, previous):
    """(V,) bool: the vertices whose position differs from ``previous`` (V, 3), or None when the
    two cannot be compared (no previous positions, another vertex count)."""
    if previous is None or previous.shape != vertices.shape:
        return None
    out = np.empty(len(vertices), np.bool_)
    _k.changed_rows(np.ascontiguousarray(vertices, np.float64), np.ascontiguousarray(previous, np.float64), out)
    return out


def refit(bvh, vertices, faces, moved=None, corners=None):
    """:func:`refit_changes` without the record of what changed."""
    return refit_changes(bvh, vertices, faces, moved, corners)[0]


def refit_changes(bvh, vertices, faces, moved=None, corners=None):
    """The BVH of the same faces after their vertices moved (same tree, new boxes). ``moved``
    (V,) bool: ``bvh`` is already fitted to the vertices' earlier positions and only these
    moved, so only the triangles touching them and the boxes above them are redone (a new hip
    shape moves a part of them). ``corners``: ``faces[bvh.face]`` (M, 3) when kept.

    Returns (BVH, dirty, slot_moved): with ``moved``, (N,) bool the nodes whose box was redone
    and (M,) bool the slots whose triangle moved; without it, both None (everything)."""
    vertices = np.ascontiguousarray(vertices, np.float64)
    if moved is not None:
        tri, bmin, bmax = bvh.tri.copy(), bvh.bmin.copy(), bvh.bmax.copy()
        if corners is None:
            corners = np.ascontiguousarray(faces[bvh.face])
        dirty, slot_moved = _k.refit_bvh_moved(bmin, bmax, bvh.left, bvh.right, bvh.start, bvh.count, tri, corners,
                                               vertices, moved)
        return bvh._replace(bmin=bmin, bmax=bmax, tri=tri), dirty, slot_moved
    tri = np.empty_like(bvh.tri)
    _k.gather_triangles(vertices, faces, bvh.face, tri)
    bmin, bmax = np.empty_like(bvh.bmin), np.empty_like(bvh.bmax)
    _k.refit_bvh(bmin, bmax, bvh.left, bvh.right, bvh.start, bvh.count, tri)
    return bvh._replace(bmin=bmin, bmax=bmax, tri=tri), None, None


def estimate_acetabular_axis(vertices, faces, face_region):
    """Unit axis from the hip centre out of the socket opening: the area-weighted mean outward
    normal of the socket surface (lunate + fossa), which faces the cavity and so the opening."""
    fn, area = face_normals(vertices, faces)
    socket = np.isin(face_region, (0, 1))
    if not socket.any():
        raise ValueError("acetabulum: no lunate/fossa faces to estimate the acetabular axis from")
    axis = (fn[socket] * area[socket, None]).sum(axis=0)
    return axis / np.linalg.norm(axis)


def mesh_edges(faces, n_vertices):
    """Every edge of a mesh both ways, sorted by first vertex: (edges (2E, 2), start (V + 1,)) so
    the neighbours of v are ``edges[start[v]:start[v + 1], 1]``."""
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    e = np.unique(np.concatenate([e, e[:, ::-1]]), axis=0)
    return e, np.searchsorted(e[:, 0], np.arange(n_vertices + 1)).astype(np.int64)


# ----------------------------------------------------------------------------- the two sides
class PelvisTopology:
    """What a pelvis mesh's triangles fix (edge twins, each vertex's faces, the BVHs' trees):
    :meth:`pelvis` gives the kernel's :class:`hipsim._kernels.clearance.Pelvis` of any vertex
    positions of these triangles (boxes refitted: milliseconds; the pseudo-normals are computed by
    the kernel where a sign is needed)."""

    def __init__(self, vertices, faces, region):
        self.faces = np.ascontiguousarray(faces, np.int64)
        self.region = np.ascontiguousarray(region)
        nv = len(vertices)
        self.twins = edge_twins(self.faces, nv, "acetabulum")
        _, area = face_normals(vertices, self.faces)
        if np.any(area <= 0):
            raise ValueError(f"acetabulum: {int(np.sum(area <= 0))} degenerate (zero-area) triangles")
        order = np.argsort(self.faces.ravel(), kind="stable")
        self.vertex_faces = np.ascontiguousarray(order, np.int64)         # face * 3 + corner
        self.vertex_faces_start = np.searchsorted(self.faces.ravel()[order], np.arange(nv + 1)).astype(np.int64)
        contact = np.flatnonzero(np.isin(region, ACETABULUM_CONTACT))
        if contact.size == 0:
            raise ValueError("acetabulum: no contact faces (regions rim 2, outer 3, labrum 4)")
        self.contact = build_bvh(vertices, self.faces, contact)
        rest = np.setdiff1d(np.arange(len(self.faces)), contact)
        self.every = self.contact if rest.size == 0 else \
            joined_bvh(self.contact, build_bvh(vertices, self.faces, rest))

    _NAMES = ("faces", "region", "twins", "vertex_faces", "vertex_faces_start")

    @property
    def every_corners(self):
        """(M, 3) the vertices of each slot of ``every`` (the refit's reads in slot order)."""
        if getattr(self, "_every_corners", None) is None:
            self._every_corners = np.ascontiguousarray(self.faces[self.every.face])
        return self._every_corners

    def to_arrays(self):
        return _state(self, self._NAMES, ("contact", "every"))

    @classmethod
    def from_arrays(cls, arrays):
        return _restore(cls, arrays, cls._NAMES, ("contact", "every"))

    def matches(self, faces, region):
        return _same(self.faces, faces) and _same(self.region, region)

    def pelvis(self, vertices, previous=None):
        """The kernel's Pelvis of these vertex positions; ``previous``: a Pelvis of the same
        triangles at other positions, whose trees are refitted only where vertices moved."""
        v = np.ascontiguousarray(vertices, np.float64)
        f = self.faces
        moved = None if previous is None else moved_vertices(v, previous.vertices)
        a_bvh = refit(self.every, v, f) if moved is None else \
            refit(previous.every, v, f, moved, self.every_corners)
        c_bvh = contact_part(a_bvh, self.contact)
        pel = _k.Pelvis(c_bvh, a_bvh, v, f, self.twins, self.vertex_faces_start, self.vertex_faces, np.zeros(2))
        stack = np.empty(_k.STACK_SIZE, np.int64)
        d0, slot, qx, qy, qz, feat = _k.bvh_nearest(0.0, 0.0, 0.0, np.inf, a_bvh.bmin, a_bvh.bmax, a_bvh.left,
                                                    a_bvh.right, a_bvh.start, a_bvh.count, a_bvh.tri, stack)
        outside = _k.feature_sign_of(0.0, 0.0, 0.0, qx, qy, qz, slot, feat, pel) > 0
        radius = np.array([d0 * (1 - 1e-12) if outside else 0.0,
                           float(np.sqrt((v * v).sum(axis=1).max())) * (1 + 1e-12)])
        return pel._replace(radius=radius)


class FemurTopology:
    """What a femur mesh's triangles fix: its edges (the flood's adjacency) and a sphere tree
    over ``candidates`` (vertex indices; default the non-articular faces' vertices): any shape of
    these triangles whose non-articular vertices are among them only refits the tree
    (:meth:`femur`)."""

    def __init__(self, vertices, faces, region, candidates=None, leaf_size=SPHERE_LEAF_SIZE):
        self.faces = np.ascontiguousarray(faces, np.int64)
        nv = len(vertices)
        self.edges, self.adj_start = mesh_edges(self.faces, nv)
        if candidates is None:
            candidates = np.unique(self.faces[np.isin(region, FEMUR_NON_ARTICULAR)])
        candidates = np.asarray(candidates, np.int64)
        if candidates.size == 0:
            raise ValueError("femur: no non-articular faces (regions 1, 2, 3)")
        pts = np.ascontiguousarray(vertices[candidates], np.float64)
        _, _, self.left, self.right, self.start, self.count, order = _k.build_tree(pts, pts, leaf_size)
        self.vertex = candidates[order]
        self.query = -np.ones(nv, np.int64)
        self.query[self.vertex] = np.arange(len(self.vertex))

    _NAMES = ("faces", "edges", "adj_start", "left", "right", "start", "count", "vertex", "query")

    def to_arrays(self):
        return _state(self, self._NAMES)

    @classmethod
    def from_arrays(cls, arrays):
        return _restore(cls, arrays, cls._NAMES)

    def matches(self, faces, region):
        if not _same(self.faces, faces):
            return False
        return bool(np.all(self.query[faces[_NON_ARTICULAR[np.asarray(region, np.int64)]]] >= 0))

    def femur(self, vertices, region):
        v = np.ascontiguousarray(vertices, np.float64)
        f = self.faces
        non_art = _NON_ARTICULAR[np.asarray(region, np.int64)]
        if not non_art.any():
            raise ValueError("femur: no non-articular faces (regions 1, 2, 3)")
        weight, active_vertex = np.empty(len(v)), np.empty(len(v), np.bool_)
        _k.area_lumps(v, f, non_art, weight, active_vertex)
        e = self.edges
        longest = np.empty(len(v))
        _k.edge_lengths(v, e, self.adj_start, longest)
        points = np.ascontiguousarray(v[self.vertex])
        point_edge = np.ascontiguousarray(longest[self.vertex])
        active = np.ascontiguousarray(active_vertex[self.vertex])
        n_node = len(self.left)
        centre, radius, edge = np.empty((n_node, 3)), np.empty(n_node), np.empty(n_node)
        _k.refit_spheres(centre, radius, edge, self.left, self.right, self.start, self.count, points, point_edge,
                         active)
        return _k.Femur(centre, radius, self.left, self.right, self.start, self.count, edge, points,
                        np.ascontiguousarray(weight[self.vertex]), point_edge, self.vertex, active, v, self.adj_start,
                        np.ascontiguousarray(e[:, 1]), self.query)


def _same(a, b):
    return a is b or (a.shape == b.shape and np.array_equal(a, b))


_BVH_FIELDS = ("bmin", "bmax", "left", "right", "start", "count", "face")


def _state(obj, names, bvhs=()):
    """Plain arrays of an object's attributes (BVHs without their triangles) for the disk cache."""
    out = {n: np.asarray(getattr(obj, n)) for n in names}
    for b in bvhs:
        out.update({f"{b}.{f}": getattr(getattr(obj, b), f) for f in _BVH_FIELDS})
    return out


def _restore(cls, arrays, names, bvhs=()):
    obj = cls.__new__(cls)
    for n in names:
        setattr(obj, n, arrays[n])
    for b in bvhs:
        fields = {f: arrays[f"{b}.{f}"] for f in _BVH_FIELDS}
        setattr(obj, b, BVH(tri=np.empty((len(fields["face"]), 3, 3)), **fields))
    return obj


# ----------------------------------------------------------------------------- the model
class ClearanceModel:
    """Clearance queries of one hip geometry (see the module docstring).

    Parameters
    ----------
    hip_geometry : object with ``femur`` and ``acetabulum`` Mesh fields (vertices [mm], faces,
        face_region), optional ``acetabular_axis`` (3,) (pelvis frame; estimated from the socket
        when absent) and ``pelvis_axes`` (3, 3) (the clock's anatomical reference; identity when
        absent)
    tolerance_mm : float >= 0, guaranteed bound on the error of a positive ``clearance_mm`` (0:
        exact to rounding); near-ties within it are not refined. The default,
        DEFAULT_TOLERANCE_MM = 0.05 mm, is of the order of the meshes' own vertex-sampling error.
        Inside points, the overlap area and the signs do not depend on it.
    reuse : a ClearanceModel of bones with the same triangles: whichever of its topologies still
        fit are reused, so a new shape of the same bones takes milliseconds
    femur_candidates : (k,) femur vertex indices the femur's tree is built over (default: the
        non-articular ones), e.g. every vertex a family of shapes may make non-articular
    """

    def __init__(self, hip_geometry, tolerance_mm=None, reuse=None, femur_candidates=None):
        if tolerance_mm is None:
            tolerance_mm = DEFAULT_TOLERANCE_MM
        if not (np.isfinite(tolerance_mm) and 0.0 <= tolerance_mm <= 1.0):
            raise ValueError("tolerance_mm must be in [0, 1]")
        self.tolerance_mm = float(tolerance_mm)
        try:
            femur, acetabulum = hip_geometry.femur, hip_geometry.acetabulum
        except AttributeError:
            raise ValueError("hip_geometry must have 'femur' and 'acetabulum' meshes") from None
        fv, ff, fr = _mesh_arrays(femur, "femur")
        av, af, ar = _mesh_arrays(acetabulum, "acetabulum")
        ft = reuse.femur_topology if reuse is not None and reuse.femur_topology.matches(ff, fr) else \
            FemurTopology(fv, ff, fr, femur_candidates)
        pt = reuse.pelvis_topology if reuse is not None and reuse.pelvis_topology.matches(af, ar) else \
            PelvisTopology(av, af, ar)
        self.femur_topology, self.pelvis_topology = ft, pt
        self.femur = ft.femur(fv, fr)
        previous = reuse.pelvis if reuse is not None and pt is reuse.pelvis_topology else None
        if previous is not None and reuse._pelvis_vertices is not None and _same(reuse._pelvis_vertices, av):
            self.pelvis = previous
        else:
            self.pelvis = pt.pelvis(av, previous)
        self._pelvis_vertices = av
        axis = getattr(hip_geometry, "acetabular_axis", None)
        if axis is None:
            axis = estimate_acetabular_axis(av, af, ar)
        axis = np.asarray(axis, dtype=float)
        if axis.shape != (3,) or not np.all(np.isfinite(axis)) or np.linalg.norm(axis) == 0:
            raise ValueError("acetabular_axis must be a finite nonzero (3,) vector")
        self.acetabular_axis = axis / np.linalg.norm(axis)
        self.pelvis_axes = np.asarray(getattr(hip_geometry, "pelvis_axes", np.eye(3)), float)

    @property
    def n_query_points(self):
        return int(np.count_nonzero(self.femur.active))

    @property
    def solid_radius(self):
        """(least, largest) distance [mm] of the pelvis solid from the hip centre."""
        return tuple(self.pelvis.radius)

    def query(self, rotations):
        """Clearance of each pose.

        Parameters
        ----------
        rotations : (n, 3, 3) float, femur-to-pelvis rotations (e.g. ``mesh.hip_rotation``)

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
        _k.clearance_poses(R, self.femur, self.pelvis, self.tolerance_mm, clearance, point, surface,
                           area, n_exact)
        clock = clock_position(surface, self.acetabular_axis, self.pelvis_axes[1], self.pelvis_axes[0]) \
            if n else np.empty(0)
        return ClearanceResult(clearance_mm=clearance, clock_h=clock,
                               overlap_depth_mm=np.maximum(0.0, -clearance), overlap_area_mm2=area,
                               point_pelvis=point, rim_point_pelvis=surface, n_exact=n_exact)


def warmup():
    """Compile (or load from the cache) every clearance kernel on a tiny model."""
    ClearanceModel(_tiny_geometry()).query(np.eye(3)[None])


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
