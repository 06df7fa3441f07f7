"""Femur-against-pelvis clearance queries (numba): bounding-volume trees on both bones.

Arrays in, arrays out; these kernels never raise and never read module globals. Arguments come
in named bundles (:class:`BVH`, :class:`Pelvis`, :class:`Femur`), NamedTuples of arrays.

Geometry of one query (see :mod:`hipsim.impingement` for the public definitions):

* the query points ``q`` are the femur's non-articular vertices (femur frame), stored in the
  order of a sphere tree over them (each node: centre, radius, its points' largest incident edge);
* a pose is a rotation ``R`` about the hip centre (the origin of both frames): ``p = R q``;
* ``f(p) = d_c(p)`` outside the closed pelvis solid, the exact Euclidean distance from ``p`` to
  the pelvis's contact triangles, and ``-d(p)`` inside, minus its distance to the whole surface
  (how deep it is in bone).

Per pose:

1. the least ``d_c`` over every query point, by branch and bound over pairs of (femur sphere,
   contact-triangle box), nearer pairs first, from the previous pose's closest point as the first
   bound (exact point-triangle distances, Ericson 2004, Real-Time Collision Detection 5.1.5);
2. the points inside the solid: a point inside lies on a part of the femur surface that crosses
   the pelvis surface, so each inside region holds a vertex within one incident edge of that
   surface. Those candidates (pairs of sphere and any-triangle box nearer than the sphere's
   largest edge) get the exact signed distance: the nearest feature of the whole surface and the
   sign of its angle-weighted pseudo-normal (Baerentzen & Aanaes 2005,
   doi:10.1109/TVCG.2005.49). Inside ones seed a flood over the femur's mesh edges that collects
   the whole region;
3. the clearance is the least ``d_c`` when no point is inside, else minus the depth of the
   deepest inside point; the overlap area is the inside points' area lumps.

Moving a bone changes only the box and sphere bounds (:func:`refit_bvh`, :func:`refit_spheres`),
not the trees' structure.
"""
import math
from typing import NamedTuple

import numpy as np
from numba import prange

from .._numba import njit

# feature of a triangle holding the closest point (Ericson's Voronoi regions)
FEAT_FACE, FEAT_A, FEAT_B, FEAT_C, FEAT_AB, FEAT_BC, FEAT_CA = 0, 1, 2, 3, 4, 5, 6
STACK_SIZE = 128
PAIR_STACK = 1024


class BVH(NamedTuple):
    """Axis-aligned box tree over triangles: node boxes ``bmin``/``bmax`` (N, 3), children
    ``left``/``right`` (N,) (-1 at leaves), leaf slot range ``start``/``count`` (N,) (``count > 0``
    marks a leaf), triangle corners by slot ``tri`` (M, 3, 3), face index of each slot ``face``
    (M,). Children always have larger indices than their parent."""
    bmin: np.ndarray
    bmax: np.ndarray
    left: np.ndarray
    right: np.ndarray
    start: np.ndarray
    count: np.ndarray
    tri: np.ndarray
    face: np.ndarray


class Pelvis(NamedTuple):
    """The pelvis of a query: ``contact`` and ``every`` (all faces) BVHs, ``vertices`` (V, 3),
    ``faces`` (F, 3), ``twins`` (F, 3) the face across each edge (ab, bc, ca), each vertex's
    faces as CSR ``vertex_faces_start`` (V + 1,) / ``vertex_faces`` (3F,) (face * 3 + corner), for
    the pseudo-normals computed where a sign is needed (:func:`feature_sign_of`); ``radius`` (2,)
    [mm]: the least and largest distance of the solid from the hip centre (a point nearer or
    farther is outside in every pose)."""
    contact: BVH
    every: BVH
    vertices: np.ndarray
    faces: np.ndarray
    twins: np.ndarray
    vertex_faces_start: np.ndarray
    vertex_faces: np.ndarray
    radius: np.ndarray


class Femur(NamedTuple):
    """The femur of a query. Sphere tree over the query points: ``centre`` (N, 3), ``radius`` (N,),
    ``left``/``right``/``start``/``count`` as in :class:`BVH`, ``edge`` (N,) the largest incident
    edge of a node's points; the points in tree order: ``points`` (n, 3), ``weight`` (n,) area
    lumps [mm2], ``point_edge`` (n,) largest incident edge [mm], ``vertex`` (n,) femur vertex of
    each, ``active`` (n,) whether it is a query point of this shape (a tree may hold more points
    than the shape's non-articular ones, so a new shape only refits it); the whole mesh for the
    flood: ``vertices`` (V, 3), ``adj_start`` (V + 1,), ``adj`` (2E,) neighbours, ``query`` (V,)
    tree index of each vertex or -1."""
    centre: np.ndarray
    radius: np.ndarray
    left: np.ndarray
    right: np.ndarray
    start: np.ndarray
    count: np.ndarray
    edge: np.ndarray
    points: np.ndarray
    weight: np.ndarray
    point_edge: np.ndarray
    vertex: np.ndarray
    active: np.ndarray
    vertices: np.ndarray
    adj_start: np.ndarray
    adj: np.ndarray
    query: np.ndarray


@njit
def closest_point_triangle(px, py, pz, t):
    """Closest point of triangle ``t`` (3, 3) to ``p``: (squared distance, x, y, z, feature)."""
    ax, ay, az = t[0, 0], t[0, 1], t[0, 2]
    bx, by, bz = t[1, 0], t[1, 1], t[1, 2]
    cx, cy, cz = t[2, 0], t[2, 1], t[2, 2]
    abx, aby, abz = bx - ax, by - ay, bz - az
    acx, acy, acz = cx - ax, cy - ay, cz - az
    apx, apy, apz = px - ax, py - ay, pz - az
    d1 = abx * apx + aby * apy + abz * apz
    d2 = acx * apx + acy * apy + acz * apz
    if d1 <= 0.0 and d2 <= 0.0:
        qx, qy, qz, feat = ax, ay, az, FEAT_A
    else:
        bpx, bpy, bpz = px - bx, py - by, pz - bz
        d3 = abx * bpx + aby * bpy + abz * bpz
        d4 = acx * bpx + acy * bpy + acz * bpz
        if d3 >= 0.0 and d4 <= d3:
            qx, qy, qz, feat = bx, by, bz, FEAT_B
        else:
            vc = d1 * d4 - d3 * d2
            if vc <= 0.0 and d1 >= 0.0 and d3 <= 0.0:
                den = d1 - d3
                v = d1 / den if den > 0.0 else 0.0
                qx, qy, qz, feat = ax + v * abx, ay + v * aby, az + v * abz, FEAT_AB
            else:
                cpx, cpy, cpz = px - cx, py - cy, pz - cz
                d5 = abx * cpx + aby * cpy + abz * cpz
                d6 = acx * cpx + acy * cpy + acz * cpz
                if d6 >= 0.0 and d5 <= d6:
                    qx, qy, qz, feat = cx, cy, cz, FEAT_C
                else:
                    vb = d5 * d2 - d1 * d6
                    if vb <= 0.0 and d2 >= 0.0 and d6 <= 0.0:
                        den = d2 - d6
                        w = d2 / den if den > 0.0 else 0.0
                        qx, qy, qz, feat = ax + w * acx, ay + w * acy, az + w * acz, FEAT_CA
                    else:
                        va = d3 * d6 - d5 * d4
                        if va <= 0.0 and (d4 - d3) >= 0.0 and (d5 - d6) >= 0.0:
                            den = (d4 - d3) + (d5 - d6)
                            w = (d4 - d3) / den if den > 0.0 else 0.0
                            qx, qy, qz, feat = (bx + w * (cx - bx), by + w * (cy - by),
                                                bz + w * (cz - bz), FEAT_BC)
                        else:
                            den = va + vb + vc
                            if den > 0.0:
                                v = vb / den
                                w = vc / den
                            else:
                                v = 0.0
                                w = 0.0
                            qx, qy, qz, feat = (ax + abx * v + acx * w, ay + aby * v + acy * w,
                                                az + abz * v + acz * w, FEAT_FACE)
    dx, dy, dz = px - qx, py - qy, pz - qz
    return dx * dx + dy * dy + dz * dz, qx, qy, qz, feat


@njit
def _box_dist2(px, py, pz, bmin, bmax, i):
    d = 0.0
    v = bmin[i, 0] - px
    if v > 0.0:
        d += v * v
    else:
        v = px - bmax[i, 0]
        if v > 0.0:
            d += v * v
    v = bmin[i, 1] - py
    if v > 0.0:
        d += v * v
    else:
        v = py - bmax[i, 1]
        if v > 0.0:
            d += v * v
    v = bmin[i, 2] - pz
    if v > 0.0:
        d += v * v
    else:
        v = pz - bmax[i, 2]
        if v > 0.0:
            d += v * v
    return d


@njit
def bvh_nearest(px, py, pz, bound, bmin, bmax, left, right, start, count, tri, stack):
    """Nearest triangle to ``p`` among those closer than ``bound`` [mm].

    BVH arrays: node boxes ``bmin``/``bmax`` (N, 3), children ``left``/``right`` (N,), leaf slot
    range ``start``/``count`` (N,) (``count > 0`` marks a leaf), triangle corners by slot
    ``tri`` (M, 3, 3); ``stack`` (STACK_SIZE,) int64 scratch.
    Returns (distance, slot, x, y, z, feature); slot -1 when nothing lies within ``bound``.
    """
    best = bound * bound if bound < 1e150 else 1e300
    best_slot = -1
    bx, by, bz = 0.0, 0.0, 0.0
    best_feat = -1
    top = 0
    stack[0] = 0
    top = 1
    while top > 0:
        top -= 1
        node = stack[top]
        if _box_dist2(px, py, pz, bmin, bmax, node) > best:
            continue
        n = count[node]
        if n > 0:
            s0 = start[node]
            for s in range(s0, s0 + n):
                d2, qx, qy, qz, feat = closest_point_triangle(px, py, pz, tri[s])
                if d2 < best or best_slot < 0 and d2 <= best:
                    best = d2
                    best_slot = s
                    bx, by, bz = qx, qy, qz
                    best_feat = feat
        else:
            l = left[node]
            r = right[node]
            dl = _box_dist2(px, py, pz, bmin, bmax, l)
            dr = _box_dist2(px, py, pz, bmin, bmax, r)
            if top + 2 > stack.shape[0]:          # cannot happen for a median-split tree
                continue
            if dl <= dr:
                if dr <= best:
                    stack[top] = r
                    top += 1
                if dl <= best:
                    stack[top] = l
                    top += 1
            else:
                if dl <= best:
                    stack[top] = l
                    top += 1
                if dr <= best:
                    stack[top] = r
                    top += 1
    return math.sqrt(best) if best_slot >= 0 else np.inf, best_slot, bx, by, bz, best_feat


@njit
def feature_sign(px, py, pz, qx, qy, qz, slot, feat, tri_face, faces, face_normal, edge_normal,
                 vertex_normal):
    """-1.0 when ``p`` is inside the closed surface, +1.0 outside (0 distance counts outside).

    ``q`` is the closest surface point, on feature ``feat`` of the triangle in BVH ``slot``; the
    sign is that of (p - q) . pseudo-normal of the feature (Baerentzen & Aanaes 2005).
    """
    f = tri_face[slot]
    if feat == FEAT_FACE:
        nx, ny, nz = face_normal[f, 0], face_normal[f, 1], face_normal[f, 2]
    elif feat == FEAT_A or feat == FEAT_B or feat == FEAT_C:
        v = faces[f, feat - FEAT_A]
        nx, ny, nz = vertex_normal[v, 0], vertex_normal[v, 1], vertex_normal[v, 2]
    else:
        k = feat - FEAT_AB
        nx, ny, nz = edge_normal[f, k, 0], edge_normal[f, k, 1], edge_normal[f, k, 2]
    dot = (px - qx) * nx + (py - qy) * ny + (pz - qz) * nz
    return -1.0 if dot < 0.0 else 1.0


@njit
def _face_normal(vertices, faces, f):
    a, b, c = faces[f, 0], faces[f, 1], faces[f, 2]
    ux, uy, uz = vertices[b, 0] - vertices[a, 0], vertices[b, 1] - vertices[a, 1], vertices[b, 2] - vertices[a, 2]
    vx, vy, vz = vertices[c, 0] - vertices[a, 0], vertices[c, 1] - vertices[a, 1], vertices[c, 2] - vertices[a, 2]
    nx, ny, nz = uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx
    n = math.sqrt(nx * nx + ny * ny + nz * nz)
    if n > 0.0:
        return nx / n, ny / n, nz / n
    return 0.0, 0.0, 0.0


@njit
def feature_sign_of(px, py, pz, qx, qy, qz, slot, feat, pel):
    """:func:`feature_sign` with the pseudo-normal of the feature computed from the pelvis's
    vertices on the spot (no normals kept per shape)."""
    f = pel.every.face[slot]
    faces, vertices = pel.faces, pel.vertices
    if feat == FEAT_FACE:
        nx, ny, nz = _face_normal(vertices, faces, f)
    elif feat == FEAT_A or feat == FEAT_B or feat == FEAT_C:
        v = faces[f, feat - FEAT_A]
        nx, ny, nz = 0.0, 0.0, 0.0
        for e in range(pel.vertex_faces_start[v], pel.vertex_faces_start[v + 1]):
            code = pel.vertex_faces[e]
            g, k = code // 3, code % 3
            p, q, r = faces[g, k], faces[g, (k + 1) % 3], faces[g, (k + 2) % 3]
            e1x, e1y, e1z = vertices[q, 0] - vertices[p, 0], vertices[q, 1] - vertices[p, 1], vertices[q, 2] - vertices[p, 2]
            e2x, e2y, e2z = vertices[r, 0] - vertices[p, 0], vertices[r, 1] - vertices[p, 1], vertices[r, 2] - vertices[p, 2]
            l1 = math.sqrt(e1x * e1x + e1y * e1y + e1z * e1z)
            l2 = math.sqrt(e2x * e2x + e2y * e2y + e2z * e2z)
            cosang = (e1x * e2x + e1y * e2y + e1z * e2z) / (l1 * l2) if l1 * l2 > 0.0 else 1.0
            ang = math.acos(min(1.0, max(-1.0, cosang)))
            gx, gy, gz = _face_normal(vertices, faces, g)
            nx += ang * gx
            ny += ang * gy
            nz += ang * gz
    else:
        k = feat - FEAT_AB
        ax, ay, az = _face_normal(vertices, faces, f)
        bx, by, bz = _face_normal(vertices, faces, pel.twins[f, k])
        nx, ny, nz = ax + bx, ay + by, az + bz
    dot = (px - qx) * nx + (py - qy) * ny + (pz - qz) * nz
    return -1.0 if dot < 0.0 else 1.0


# ----------------------------------------------------------------------------- tree building
@njit
def build_tree(lo, hi, leaf_size):
    """Median-split tree over items with boxes ``lo``/``hi`` (M, 3) (points: lo = hi): node boxes
    (N, 3) x 2, left, right, start, count (N,) and the item order (M,). Iterative; children get
    larger indices than their parent."""
    m = lo.shape[0]
    cap = max(2 * m, 1)
    bmin = np.empty((cap, 3))
    bmax = np.empty((cap, 3))
    left = -np.ones(cap, np.int64)
    right = -np.ones(cap, np.int64)
    start = np.zeros(cap, np.int64)
    count = np.zeros(cap, np.int64)
    order = np.arange(m)
    centre = 0.5 * (lo + hi)
    stack_node = np.empty(128, np.int64)
    stack_lo = np.empty(128, np.int64)
    stack_hi = np.empty(128, np.int64)
    n_nodes = 1
    stack_node[0], stack_lo[0], stack_hi[0] = 0, 0, m
    top = 1
    while top > 0:
        top -= 1
        node, a, b = stack_node[top], stack_lo[top], stack_hi[top]
        for k in range(3):
            bmin[node, k] = np.inf
            bmax[node, k] = -np.inf
        cmin = np.full(3, np.inf)
        cmax = np.full(3, -np.inf)
        for s in range(a, b):
            it = order[s]
            for k in range(3):
                bmin[node, k] = min(bmin[node, k], lo[it, k])
                bmax[node, k] = max(bmax[node, k], hi[it, k])
                cmin[k] = min(cmin[k], centre[it, k])
                cmax[k] = max(cmax[k], centre[it, k])
        if b - a <= leaf_size:
            start[node] = a
            count[node] = b - a
            continue
        axis = int(np.argmax(cmax - cmin))
        seg = order[a:b].copy()
        keys = centre[seg, axis]
        idx = np.argsort(keys, kind="mergesort")
        order[a:b] = seg[idx]
        mid = a + (b - a) // 2
        l, r = n_nodes, n_nodes + 1
        n_nodes += 2
        left[node], right[node] = l, r
        stack_node[top], stack_lo[top], stack_hi[top] = r, mid, b
        stack_node[top + 1], stack_lo[top + 1], stack_hi[top + 1] = l, a, mid
        top += 2
    return (bmin[:n_nodes].copy(), bmax[:n_nodes].copy(), left[:n_nodes].copy(), right[:n_nodes].copy(),
            start[:n_nodes].copy(), count[:n_nodes].copy(), order)


@njit
def _leaf_box(bmin, bmax, node, start, count, tri):
    for k in range(3):
        lo, hi = np.inf, -np.inf
        for s in range(start[node], start[node] + count[node]):
            for c in range(3):
                lo = min(lo, tri[s, c, k])
                hi = max(hi, tri[s, c, k])
        bmin[node, k], bmax[node, k] = lo, hi


@njit
def _inner_boxes(bmin, bmax, left, right, count, dirty):
    """Boxes of the inner nodes flagged by their children (children have larger indices, so one
    pass from the last node up)."""
    for node in range(bmin.shape[0] - 1, -1, -1):
        if count[node] > 0:
            continue
        l, r = left[node], right[node]
        if dirty[l] or dirty[r]:
            dirty[node] = True
            for k in range(3):
                bmin[node, k] = min(bmin[l, k], bmin[r, k])
                bmax[node, k] = max(bmax[l, k], bmax[r, k])


@njit(parallel=True)
def refit_bvh(bmin, bmax, left, right, start, count, tri):
    """Recompute the node boxes (in place) of a BVH whose triangles ``tri`` (by slot) moved
    (threads over the leaves)."""
    dirty = np.ones(bmin.shape[0], np.bool_)
    for node in prange(bmin.shape[0]):
        if count[node] > 0:
            _leaf_box(bmin, bmax, node, start, count, tri)
    _inner_boxes(bmin, bmax, left, right, count, dirty)


@njit(parallel=True)
def refit_bvh_moved(bmin, bmax, left, right, start, count, tri, corners, vertices, moved):
    """:func:`refit_bvh` of a BVH refitted to earlier vertex positions, where only the vertices
    flagged in ``moved`` (V,) changed: the slots (``corners`` (M, 3): each slot's vertex indices)
    touching one are re-gathered from ``vertices`` and only the boxes above them recomputed (in
    place; threads over the leaves). Returns (N,) whether each node's box was redone and (M,)
    whether each slot's triangle moved."""
    dirty = np.zeros(bmin.shape[0], np.bool_)
    slot_moved = np.zeros(tri.shape[0], np.bool_)
    for node in prange(bmin.shape[0]):
        if count[node] == 0:
            continue
        for s in range(start[node], start[node] + count[node]):
            a, b, c = corners[s, 0], corners[s, 1], corners[s, 2]
            if moved[a] or moved[b] or moved[c]:
                dirty[node] = True
                slot_moved[s] = True
                for k in range(3):
                    tri[s, 0, k] = vertices[a, k]
                    tri[s, 1, k] = vertices[b, k]
                    tri[s, 2, k] = vertices[c, k]
        if dirty[node]:
            _leaf_box(bmin, bmax, node, start, count, tri)
    _inner_boxes(bmin, bmax, left, right, count, dirty)
    return dirty, slot_moved

@njit
def area_lumps(vertices, faces, take, weight, active):
    """Area lumps [mm2] of the faces flagged in ``take`` (F,): a third of each face's area to each
    of its vertices, summed into ``weight`` (V,) (zeroed first), and ``active`` (V,) set where a
    vertex has such a face."""
    weight[:] = 0.0
    active[:] = False
    for f in range(faces.shape[0]):
        if not take[f]:
            continue
        a, b, c = faces[f, 0], faces[f, 1], faces[f, 2]
        ux, uy, uz = vertices[b, 0] - vertices[a, 0], vertices[b, 1] - vertices[a, 1], vertices[b, 2] - vertices[a, 2]
        vx, vy, vz = vertices[c, 0] - vertices[a, 0], vertices[c, 1] - vertices[a, 1], vertices[c, 2] - vertices[a, 2]
        nx, ny, nz = uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx
        lump = math.sqrt(nx * nx + ny * ny + nz * nz) / 6.0
        weight[a] += lump
        weight[b] += lump
        weight[c] += lump
        active[a] = active[b] = active[c] = True


@njit
def changed_rows(a, b, out):
    """out[i] = row i of ``a`` differs from row i of ``b`` (both (n, 3))."""
    for i in range(a.shape[0]):
        out[i] = a[i, 0] != b[i, 0] or a[i, 1] != b[i, 1] or a[i, 2] != b[i, 2]


@njit(parallel=True)
def edge_lengths(vertices, edges, start, longest):
    """Each vertex's longest incident edge [mm] (``edges`` (2E, 2) sorted by first vertex,
    ``start`` (V + 1,) its rows), in place (threads over vertices)."""
    for v in prange(start.shape[0] - 1):
        best = 0.0
        for e in range(start[v], start[v + 1]):
            w = edges[e, 1]
            d = 0.0
            for k in range(3):
                d += (vertices[v, k] - vertices[w, k]) ** 2
            best = max(best, d)
        longest[v] = math.sqrt(best)


@njit
def refit_spheres(centre, radius, edge, left, right, start, count, points, point_edge, active):
    """Node spheres over the ``active`` points (centre: their box centre; radius: the farthest)
    and their largest edges, in place; a node without active points gets radius -1 (skipped)."""
    for node in range(centre.shape[0] - 1, -1, -1):
        lo = np.full(3, np.inf)
        hi = np.full(3, -np.inf)
        if count[node] > 0:
            e = 0.0
            n_on = 0
            for s in range(start[node], start[node] + count[node]):
                if not active[s]:
                    continue
                n_on += 1
                for k in range(3):
                    lo[k] = min(lo[k], points[s, k])
                    hi[k] = max(hi[k], points[s, k])
                e = max(e, point_edge[s])
            if n_on == 0:
                centre[node, :] = 0.0
                radius[node] = -1.0
                edge[node] = 0.0
                continue
            for k in range(3):
                centre[node, k] = 0.5 * (lo[k] + hi[k])
            r2 = 0.0
            for s in range(start[node], start[node] + count[node]):
                if not active[s]:
                    continue
                d = 0.0
                for k in range(3):
                    d += (points[s, k] - centre[node, k]) ** 2
                r2 = max(r2, d)
            radius[node] = math.sqrt(r2) * 1.000001 + 1e-9
            edge[node] = e
        else:
            l, r = left[node], right[node]
            if radius[l] < 0.0 and radius[r] < 0.0:
                centre[node, :] = 0.0
                radius[node] = -1.0
                edge[node] = 0.0
                continue
            for k in range(3):
                lo[k], hi[k] = np.inf, -np.inf
                for c in (l, r):
                    if radius[c] >= 0.0:
                        lo[k] = min(lo[k], centre[c, k] - radius[c])
                        hi[k] = max(hi[k], centre[c, k] + radius[c])
                centre[node, k] = 0.5 * (lo[k] + hi[k])
            rr = 0.0
            for c in (l, r):
                if radius[c] < 0.0:
                    continue
                d = 0.0
                for k in range(3):
                    d += (centre[c, k] - centre[node, k]) ** 2
                rr = max(rr, math.sqrt(d) + radius[c])
            radius[node] = rr * 1.000001 + 1e-9
            edge[node] = max(edge[l], edge[r])


# ----------------------------------------------------------------------------- queries
@njit
def _sphere_box_lb(cx, cy, cz, r, bmin, bmax, node):
    d = math.sqrt(_box_dist2(cx, cy, cz, bmin, bmax, node)) - r
    return d if d > 0.0 else 0.0


@njit
def _signed(px, py, pz, pel, stack):
    """Exact signed distance of ``p`` to the whole pelvis surface (negative inside)."""
    a = pel.every
    d, slot, qx, qy, qz, feat = bvh_nearest(px, py, pz, np.inf, a.bmin, a.bmax, a.left, a.right, a.start,
                                            a.count, a.tri, stack)
    s = feature_sign_of(px, py, pz, qx, qy, qz, slot, feat, pel)
    return s * d


@njit
def _least_contact(rot, fem, pel, tol, best, best_j, sx, sy, sz, crot, pairs_t, pairs_c, pairs_lb):
    """Branch and bound for min over query points of d_c (step 1); returns (best, point index,
    surface point, exact point-triangle evaluations)."""
    c = pel.contact
    n_eval = 0
    top = 0
    pairs_t[0], pairs_c[0] = 0, 0
    pairs_lb[0] = _sphere_box_lb(crot[0, 0], crot[0, 1], crot[0, 2], fem.radius[0], c.bmin, c.bmax, 0)
    top = 1
    r00, r01, r02 = rot[0, 0], rot[0, 1], rot[0, 2]
    r10, r11, r12 = rot[1, 0], rot[1, 1], rot[1, 2]
    r20, r21, r22 = rot[2, 0], rot[2, 1], rot[2, 2]
    while top > 0:
        top -= 1
        t, k, lb = pairs_t[top], pairs_c[top], pairs_lb[top]
        if lb > best - tol or fem.radius[t] < 0.0:
            continue
        t_leaf = fem.count[t] > 0
        c_leaf = c.count[k] > 0
        if t_leaf and c_leaf:
            for s in range(fem.start[t], fem.start[t] + fem.count[t]):
                if not fem.active[s]:
                    continue
                qx, qy, qz = fem.points[s, 0], fem.points[s, 1], fem.points[s, 2]
                px = r00 * qx + r01 * qy + r02 * qz
                py = r10 * qx + r11 * qy + r12 * qz
                pz = r20 * qx + r21 * qy + r22 * qz
                bb = best - tol
                if bb <= 0.0 or (bb < np.inf and _box_dist2(px, py, pz, c.bmin, c.bmax, k) > bb * bb):
                    continue
                for u in range(c.start[k], c.start[k] + c.count[k]):
                    d2, ax, ay, az, feat = closest_point_triangle(px, py, pz, c.tri[u])
                    n_eval += 1
                    d = math.sqrt(d2)
                    if d < best:
                        best = d
                        best_j = s
                        sx, sy, sz = ax, ay, az
            continue
        split_t = (not t_leaf) and (c_leaf or fem.radius[t] >= 0.5 * math.sqrt(
            (c.bmax[k, 0] - c.bmin[k, 0]) ** 2 + (c.bmax[k, 1] - c.bmin[k, 1]) ** 2
            + (c.bmax[k, 2] - c.bmin[k, 2]) ** 2))
        if split_t:
            t1, t2, k1, k2 = fem.left[t], fem.right[t], k, k
        else:
            t1, t2, k1, k2 = t, t, c.left[k], c.right[k]
        lb1 = _sphere_box_lb(crot[t1, 0], crot[t1, 1], crot[t1, 2], fem.radius[t1], c.bmin, c.bmax, k1)
        lb2 = _sphere_box_lb(crot[t2, 0], crot[t2, 1], crot[t2, 2], fem.radius[t2], c.bmin, c.bmax, k2)
        if top + 2 > pairs_t.shape[0]:
            continue                                   # cannot happen for balanced trees
        if lb1 <= lb2:                                 # the nearer pair is popped first
            pairs_t[top], pairs_c[top], pairs_lb[top] = t2, k2, lb2
            pairs_t[top + 1], pairs_c[top + 1], pairs_lb[top + 1] = t1, k1, lb1
        else:
            pairs_t[top], pairs_c[top], pairs_lb[top] = t1, k1, lb1
            pairs_t[top + 1], pairs_c[top + 1], pairs_lb[top + 1] = t2, k2, lb2
        top += 2
    return best, best_j, sx, sy, sz, n_eval


@njit
def clearance_poses(rot, fem, pel, tol, clearance, point, surface_point, area, n_exact):
    """Clearance of every pose (serial over poses; see the module docstring).

    Parameters
    ----------
    rot : (n, 3, 3) rotations, femur frame -> pelvis frame
    fem : :class:`Femur`; pel : :class:`Pelvis`
    tol : float [mm] >= 0, accepted error of the least positive distance (0: exact); the inside
        points, the sign and the overlap area are always exact

    Outputs (filled): clearance (n,) [mm], point (n, 3) the femur point attaining it (pelvis
    frame), surface_point (n, 3) its closest contact-surface point, area (n,) [mm2] of
    non-articular femur surface inside the solid, n_exact (n,) exact evaluations made.
    """
    n = rot.shape[0]
    nq = fem.points.shape[0]
    nt = fem.centre.shape[0]
    nv = fem.vertices.shape[0]
    stack = np.empty(STACK_SIZE, np.int64)
    pairs_t = np.empty(PAIR_STACK, np.int64)
    pairs_c = np.empty(PAIR_STACK, np.int64)
    pairs_lb = np.empty(PAIR_STACK)
    crot = np.empty((nt, 3))
    stamp = np.zeros(nv, np.int64)          # sign known this pose
    seeded = np.zeros(nv, np.int64)         # tried as a seed this pose
    inside = np.zeros(nv, np.bool_)
    queue = np.empty(nv, np.int64)
    rmin, rmax = pel.radius[0], pel.radius[1]
    c = pel.contact
    a = pel.every
    prev = 0
    for i in range(n):
        r00, r01, r02 = rot[i, 0, 0], rot[i, 0, 1], rot[i, 0, 2]
        r10, r11, r12 = rot[i, 1, 0], rot[i, 1, 1], rot[i, 1, 2]
        r20, r21, r22 = rot[i, 2, 0], rot[i, 2, 1], rot[i, 2, 2]
        for t in range(nt):
            x, y, z = fem.centre[t, 0], fem.centre[t, 1], fem.centre[t, 2]
            crot[t, 0] = r00 * x + r01 * y + r02 * z
            crot[t, 1] = r10 * x + r11 * y + r12 * z
            crot[t, 2] = r20 * x + r21 * y + r22 * z
        # 1. least contact distance, from the previous pose's closest point as the first bound
        count = 0
        best, best_j, sx, sy, sz = np.inf, -1, np.nan, np.nan, np.nan
        if nq > 0:
            while not fem.active[prev]:
                prev = (prev + 1) % nq
            qx, qy, qz = fem.points[prev, 0], fem.points[prev, 1], fem.points[prev, 2]
            px = r00 * qx + r01 * qy + r02 * qz
            py = r10 * qx + r11 * qy + r12 * qz
            pz = r20 * qx + r21 * qy + r22 * qz
            d, slot, ax, ay, az, feat = bvh_nearest(px, py, pz, np.inf, c.bmin, c.bmax, c.left, c.right, c.start,
                                                    c.count, c.tri, stack)
            count += 1
            if slot >= 0:
                best, best_j, sx, sy, sz = d, prev, ax, ay, az
            best, best_j, sx, sy, sz, ne = _least_contact(rot[i], fem, pel, tol, best, best_j, sx, sy, sz, crot,
                                                         pairs_t, pairs_c, pairs_lb)
            count += ne
        # 2. inside points: seeds within their largest edge of the whole surface, then a flood
        stamp_i = i + 1
        head = 0
        tail = 0
        if nq > 0:
            top = 1
            pairs_t[0], pairs_c[0] = 0, 0
            pairs_lb[0] = _sphere_box_lb(crot[0, 0], crot[0, 1], crot[0, 2], fem.radius[0], a.bmin, a.bmax, 0)
            while top > 0:
                top -= 1
                t, k, lb = pairs_t[top], pairs_c[top], pairs_lb[top]
                if lb > fem.edge[t] or fem.radius[t] < 0.0:
                    continue
                t_leaf = fem.count[t] > 0
                a_leaf = a.count[k] > 0
                if t_leaf and a_leaf:
                    for s in range(fem.start[t], fem.start[t] + fem.count[t]):
                        v = fem.vertex[s]
                        if not fem.active[s] or stamp[v] == stamp_i or seeded[v] == stamp_i:
                            continue
                        qx, qy, qz = fem.points[s, 0], fem.points[s, 1], fem.points[s, 2]
                        qn = math.sqrt(qx * qx + qy * qy + qz * qz)
                        if qn < rmin or qn > rmax:
                            continue
                        px = r00 * qx + r01 * qy + r02 * qz
                        py = r10 * qx + r11 * qy + r12 * qz
                        pz = r20 * qx + r21 * qy + r22 * qz
                        e = fem.point_edge[s]
                        if _box_dist2(px, py, pz, a.bmin, a.bmax, k) > e * e:
                            continue
                        seeded[v] = stamp_i
                        d, slot, ax, ay, az, feat = bvh_nearest(px, py, pz, e, a.bmin, a.bmax, a.left, a.right,
                                                                a.start, a.count, a.tri, stack)
                        count += 1
                        if slot < 0:
                            continue           # farther than its edges: the flood decides, if it comes
                        stamp[v] = stamp_i
                        inside[v] = False
                        if feature_sign_of(px, py, pz, ax, ay, az, slot, feat, pel) < 0.0:
                            inside[v] = True
                            queue[tail] = v
                            tail += 1
                    continue
                split_t = (not t_leaf) and (a_leaf or fem.radius[t] >= 0.5 * math.sqrt(
                    (a.bmax[k, 0] - a.bmin[k, 0]) ** 2 + (a.bmax[k, 1] - a.bmin[k, 1]) ** 2
                    + (a.bmax[k, 2] - a.bmin[k, 2]) ** 2))
                if split_t:
                    t1, t2, k1, k2 = fem.left[t], fem.right[t], k, k
                else:
                    t1, t2, k1, k2 = t, t, a.left[k], a.right[k]
                if top + 2 > pairs_t.shape[0]:
                    continue
                pairs_t[top], pairs_c[top] = t1, k1
                pairs_lb[top] = _sphere_box_lb(crot[t1, 0], crot[t1, 1], crot[t1, 2], fem.radius[t1], a.bmin,
                                               a.bmax, k1)
                pairs_t[top + 1], pairs_c[top + 1] = t2, k2
                pairs_lb[top + 1] = _sphere_box_lb(crot[t2, 0], crot[t2, 1], crot[t2, 2], fem.radius[t2], a.bmin,
                                                   a.bmax, k2)
                top += 2
        while head < tail:
            v = queue[head]
            head += 1
            for e in range(fem.adj_start[v], fem.adj_start[v + 1]):
                w = fem.adj[e]
                if stamp[w] == stamp_i:
                    continue
                stamp[w] = stamp_i
                inside[w] = False
                qx, qy, qz = fem.vertices[w, 0], fem.vertices[w, 1], fem.vertices[w, 2]
                qn = math.sqrt(qx * qx + qy * qy + qz * qz)
                if qn < rmin or qn > rmax:
                    continue
                px = r00 * qx + r01 * qy + r02 * qz
                py = r10 * qx + r11 * qy + r12 * qz
                pz = r20 * qx + r21 * qy + r22 * qz
                count += 1
                if _signed(px, py, pz, pel, stack) < 0.0:
                    inside[w] = True
                    queue[tail] = w
                    tail += 1
        # 3. the clearance: the deepest inside query point, else the least contact distance
        ar = 0.0
        worst = np.inf
        worst_j = -1
        wx, wy, wz = np.nan, np.nan, np.nan
        for o in range(tail):
            v = queue[o]
            s = fem.query[v]
            if s < 0 or not fem.active[s]:
                continue
            ar += fem.weight[s]
            qx, qy, qz = fem.points[s, 0], fem.points[s, 1], fem.points[s, 2]
            px = r00 * qx + r01 * qy + r02 * qz
            py = r10 * qx + r11 * qy + r12 * qz
            pz = r20 * qx + r21 * qy + r22 * qz
            # the depth of an inside point: its distance to the whole surface (the bone it is in)
            d, slot, ax, ay, az, feat = bvh_nearest(px, py, pz, np.inf, a.bmin, a.bmax, a.left, a.right, a.start,
                                                    a.count, a.tri, stack)
            count += 1
            if -d < worst:
                worst, worst_j = -d, s
                wx, wy, wz = ax, ay, az
        if worst_j >= 0:
            best, best_j, sx, sy, sz = worst, worst_j, wx, wy, wz
        clearance[i] = best
        area[i] = ar
        n_exact[i] = count
        surface_point[i, 0], surface_point[i, 1], surface_point[i, 2] = sx, sy, sz
        if best_j >= 0:
            qx, qy, qz = fem.points[best_j, 0], fem.points[best_j, 1], fem.points[best_j, 2]
            point[i, 0] = r00 * qx + r01 * qy + r02 * qz
            point[i, 1] = r10 * qx + r11 * qy + r12 * qz
            point[i, 2] = r20 * qx + r21 * qy + r22 * qz
            prev = best_j
        else:
            point[i, 0], point[i, 1], point[i, 2] = np.nan, np.nan, np.nan


@njit(parallel=True)
def gather_triangles(vertices, faces, face, tri):
    """``tri[s] = vertices[faces[face[s]]]`` (M, 3, 3), in place (threads over slots)."""
    for s in prange(face.shape[0]):
        f = face[s]
        for c in range(3):
            v = faces[f, c]
            for k in range(3):
                tri[s, c, k] = vertices[v, k]


@njit(parallel=True)
def face_areas(vertices, faces, face_normal, area):
    """Unit face normals and areas [mm2], in place (threads over faces)."""
    for f in prange(faces.shape[0]):
        a, b, c = faces[f, 0], faces[f, 1], faces[f, 2]
        ux, uy, uz = vertices[b, 0] - vertices[a, 0], vertices[b, 1] - vertices[a, 1], vertices[b, 2] - vertices[a, 2]
        vx, vy, vz = vertices[c, 0] - vertices[a, 0], vertices[c, 1] - vertices[a, 1], vertices[c, 2] - vertices[a, 2]
        nx, ny, nz = uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx
        norm = math.sqrt(nx * nx + ny * ny + nz * nz)
        area[f] = 0.5 * norm
        if norm > 0.0:
            nx, ny, nz = nx / norm, ny / norm, nz / norm
        face_normal[f, 0], face_normal[f, 1], face_normal[f, 2] = nx, ny, nz


@njit(parallel=True)
def pseudo_normals_fast(vertices, faces, twins, vertex_faces_start, vertex_faces, face_normal, edge_normal,
                        vertex_normal, area):
    """:func:`pseudo_normals` with threads, given each vertex's incident faces (CSR
    ``vertex_faces_start`` (V + 1,), ``vertex_faces`` (3F,) encoded face * 3 + corner)."""
    face_areas(vertices, faces, face_normal, area)
    for f in prange(faces.shape[0]):
        for k in range(3):
            g = twins[f, k]
            for j in range(3):
                edge_normal[f, k, j] = face_normal[f, j] + face_normal[g, j]
    for v in prange(vertices.shape[0]):
        sx, sy, sz = 0.0, 0.0, 0.0
        for e in range(vertex_faces_start[v], vertex_faces_start[v + 1]):
            code = vertex_faces[e]
            f, k = code // 3, code % 3
            p, q, r = faces[f, k], faces[f, (k + 1) % 3], faces[f, (k + 2) % 3]
            e1x, e1y, e1z = vertices[q, 0] - vertices[p, 0], vertices[q, 1] - vertices[p, 1], vertices[q, 2] - vertices[p, 2]
            e2x, e2y, e2z = vertices[r, 0] - vertices[p, 0], vertices[r, 1] - vertices[p, 1], vertices[r, 2] - vertices[p, 2]
            l1 = math.sqrt(e1x * e1x + e1y * e1y + e1z * e1z)
            l2 = math.sqrt(e2x * e2x + e2y * e2y + e2z * e2z)
            cosang = (e1x * e2x + e1y * e2y + e1z * e2z) / (l1 * l2) if l1 * l2 > 0.0 else 1.0
            ang = math.acos(min(1.0, max(-1.0, cosang)))
            sx += ang * face_normal[f, 0]
            sy += ang * face_normal[f, 1]
            sz += ang * face_normal[f, 2]
        vertex_normal[v, 0], vertex_normal[v, 1], vertex_normal[v, 2] = sx, sy, sz


@njit
def pseudo_normals(vertices, faces, twins, face_normal, edge_normal, vertex_normal, area):
    """Face normals and areas, edge normals (sum of the two faces' normals, by face and local
    edge ab, bc, ca) and angle-weighted vertex normals (Baerentzen & Aanaes 2005), in place;
    ``twins`` (m, 3) the face across each edge."""
    vertex_normal[:, :] = 0.0
    for f in range(faces.shape[0]):
        a, b, c = faces[f, 0], faces[f, 1], faces[f, 2]
        ux, uy, uz = vertices[b, 0] - vertices[a, 0], vertices[b, 1] - vertices[a, 1], vertices[b, 2] - vertices[a, 2]
        vx, vy, vz = vertices[c, 0] - vertices[a, 0], vertices[c, 1] - vertices[a, 1], vertices[c, 2] - vertices[a, 2]
        nx, ny, nz = uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx
        norm = math.sqrt(nx * nx + ny * ny + nz * nz)
        area[f] = 0.5 * norm
        if norm > 0.0:
            nx, ny, nz = nx / norm, ny / norm, nz / norm
        face_normal[f, 0], face_normal[f, 1], face_normal[f, 2] = nx, ny, nz
    for f in range(faces.shape[0]):
        for k in range(3):
            g = twins[f, k]
            for j in range(3):
                edge_normal[f, k, j] = face_normal[f, j] + face_normal[g, j]
            p, q, r = faces[f, k], faces[f, (k + 1) % 3], faces[f, (k + 2) % 3]
            e1x, e1y, e1z = vertices[q, 0] - vertices[p, 0], vertices[q, 1] - vertices[p, 1], vertices[q, 2] - vertices[p, 2]
            e2x, e2y, e2z = vertices[r, 0] - vertices[p, 0], vertices[r, 1] - vertices[p, 1], vertices[r, 2] - vertices[p, 2]
            l1 = math.sqrt(e1x * e1x + e1y * e1y + e1z * e1z)
            l2 = math.sqrt(e2x * e2x + e2y * e2y + e2z * e2z)
            cosang = (e1x * e2x + e1y * e2y + e1z * e2z) / (l1 * l2) if l1 * l2 > 0.0 else 1.0
            ang = math.acos(min(1.0, max(-1.0, cosang)))
            for j in range(3):
                vertex_normal[p, j] += ang * face_normal[f, j]
