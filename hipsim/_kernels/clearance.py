"""Femur-against-acetabulum clearance queries (numba).

Arrays in, arrays out; these kernels never raise and never read module globals.

Geometry of one query (see :mod:`hipsim.impingement` for the public definitions):

* the query points ``q`` are the femur's non-articular vertices (femur frame), grouped in
  spatial clusters, each with a bounding sphere (centre, radius);
* a pose is a rotation ``R`` about the hip centre (the origin of both frames): ``p = R q``;
* ``f(p) = s(p) * d_c(p)``: ``d_c`` is the exact Euclidean distance from ``p`` to the
  acetabulum's contact triangles (rim, outer, labrum) and ``s`` = -1 inside the closed
  acetabulum solid, +1 outside.

Acceleration: a regular grid holding, at its nodes, the exact ``d_c``, the exact signed
distance ``sd`` to the whole acetabulum surface and the nearest contact triangle. Both
distances are 1-Lipschitz, so a trilinear interpolation is within ``e = h sqrt(sum_k t_k (1 -
t_k)) <= sqrt(3)/2 h`` of the true value anywhere in a cell (the error of a weighted mean of
corner values is at most the weighted mean distance to the corners), and within ``e + r``
anywhere in a sphere of radius ``r`` about the interpolated point; and since ``|x|^2 - d(x)^2``
is convex for the distance to any set, ``d(p)^2 >= interp(d^2)(p) - e^2``, a lower bound that is
tight away from the surface. The nearest node's nearest triangle gives an attained distance, an
upper bound. These bounds cull clusters and points; the few candidates that can still hold the
minimum are evaluated exactly (per-cell candidate triangle lists near the surface, else a
bounding volume hierarchy; exact point-triangle distance, Ericson 2004, Real-Time Collision
Detection 5.1.5), the sign from the angle-weighted pseudo-normal of the nearest feature of the
whole surface (Baerentzen & Aanaes 2005, doi:10.1109/TVCG.2005.49). So the result is exact (to
rounding, or within a requested tolerance) whatever the grid spacing; the grid only sets the
speed.
"""
import math

import numpy as np
from numba import prange

from .._numba import njit

# feature of a triangle holding the closest point (Ericson's Voronoi regions)
FEAT_FACE, FEAT_A, FEAT_B, FEAT_C, FEAT_AB, FEAT_BC, FEAT_CA = 0, 1, 2, 3, 4, 5, 6
STACK_SIZE = 128


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
def _interp(px, py, pz, origin, h, field):
    """Trilinear (d_c, sd) at ``p``, their error bound, a lower bound on d_c and True;
    (0, 0, 0, 0, False) outside the grid.

    Both node fields are 1-Lipschitz, so the error is at most sum_i w_i |p - c_i| <=
    sqrt(sum_i w_i |p - c_i|^2) = h sqrt(sum_k t_k (1 - t_k)) (Jensen), <= sqrt(3)/2 h."""
    fx = (px - origin[0]) / h
    fy = (py - origin[1]) / h
    fz = (pz - origin[2]) / h
    if not (fx >= 0.0 and fy >= 0.0 and fz >= 0.0):
        return 0.0, 0.0, 0.0, 0.0, False
    ix = int(fx)
    iy = int(fy)
    iz = int(fz)
    if ix >= field.shape[0] - 1 or iy >= field.shape[1] - 1 or iz >= field.shape[2] - 1:
        return 0.0, 0.0, 0.0, 0.0, False
    tx = fx - ix
    ty = fy - iy
    tz = fz - iz
    ux, uy, uz = 1.0 - tx, 1.0 - ty, 1.0 - tz
    w000 = ux * uy * uz
    w100 = tx * uy * uz
    w010 = ux * ty * uz
    w110 = tx * ty * uz
    w001 = ux * uy * tz
    w101 = tx * uy * tz
    w011 = ux * ty * tz
    w111 = tx * ty * tz
    c0 = field[ix, iy, iz, 0]
    c1 = field[ix + 1, iy, iz, 0]
    c2 = field[ix, iy + 1, iz, 0]
    c3 = field[ix + 1, iy + 1, iz, 0]
    c4 = field[ix, iy, iz + 1, 0]
    c5 = field[ix + 1, iy, iz + 1, 0]
    c6 = field[ix, iy + 1, iz + 1, 0]
    c7 = field[ix + 1, iy + 1, iz + 1, 0]
    d = (w000 * c0 + w100 * c1 + w010 * c2 + w110 * c3 + w001 * c4 + w101 * c5 + w011 * c6
         + w111 * c7)
    d2 = (w000 * c0 * c0 + w100 * c1 * c1 + w010 * c2 * c2 + w110 * c3 * c3 + w001 * c4 * c4
          + w101 * c5 * c5 + w011 * c6 * c6 + w111 * c7 * c7)
    s = (w000 * field[ix, iy, iz, 1] + w100 * field[ix + 1, iy, iz, 1]
         + w010 * field[ix, iy + 1, iz, 1] + w110 * field[ix + 1, iy + 1, iz, 1]
         + w001 * field[ix, iy, iz + 1, 1] + w101 * field[ix + 1, iy, iz + 1, 1]
         + w011 * field[ix, iy + 1, iz + 1, 1] + w111 * field[ix + 1, iy + 1, iz + 1, 1])
    e2 = h * h * (tx * ux + ty * uy + tz * uz)
    e = math.sqrt(e2) * 1.000001 + 1e-9
    # |x|^2 - d(x)^2 is convex for the distance d to any set, so its trilinear interpolation
    # overestimates it; with interp(|x|^2) = |p|^2 + e2 this gives d(p)^2 >= interp(d^2) - e2
    dlb = d - e
    v = d2 - e2 * 1.000001 - 1e-9
    if v > 0.0:
        v = math.sqrt(v)
        if v > dlb:
            dlb = v
    return d, s, e, dlb, True


@njit
def _node(px, py, pz, origin, h, field):
    """Values at the grid node nearest to ``p`` and the distance to it:
    (d_c(node), sd(node), |p - node| (rounded up), True), or (0, 0, 0, False) off the grid.
    Both fields are 1-Lipschitz, so d_c(p) >= d_c(node) - |p - node| and likewise for sd."""
    fx = (px - origin[0]) / h + 0.5
    fy = (py - origin[1]) / h + 0.5
    fz = (pz - origin[2]) / h + 0.5
    if not (fx >= 0.0 and fy >= 0.0 and fz >= 0.0):
        return 0.0, 0.0, 0.0, False
    ix, iy, iz = int(fx), int(fy), int(fz)
    if ix >= field.shape[0] or iy >= field.shape[1] or iz >= field.shape[2]:
        return 0.0, 0.0, 0.0, False
    dx = px - (origin[0] + ix * h)
    dy = py - (origin[1] + iy * h)
    dz = pz - (origin[2] + iz * h)
    r = math.sqrt(dx * dx + dy * dy + dz * dz) * 1.000001 + 1e-9
    return field[ix, iy, iz, 0], field[ix, iy, iz, 1], r, True


@njit
def _node_rejects(px, py, pz, origin, h, field, best_ub, always_outside):
    """True when the nearest grid node alone proves that ``p`` is outside the solid and farther
    than ``best_ub`` from the contact surface: a few operations instead of the trilinear bounds."""
    dn, sn, r, ok = _node(px, py, pz, origin, h, field)
    if not ok or dn - r <= best_ub:
        return False
    return always_outside or sn - r > 0.0


@njit
def _hint_distance(px, py, pz, origin, h, hint, tri):
    """Distance from ``p`` to the nearest contact triangle of the grid node nearest to ``p``."""
    ix = min(max(int((px - origin[0]) / h + 0.5), 0), hint.shape[0] - 1)
    iy = min(max(int((py - origin[1]) / h + 0.5), 0), hint.shape[1] - 1)
    iz = min(max(int((pz - origin[2]) / h + 0.5), 0), hint.shape[2] - 1)
    s = hint[ix, iy, iz]
    if s < 0:
        return np.inf
    d2, qx, qy, qz, feat = closest_point_triangle(px, py, pz, tri[s])
    return math.sqrt(d2)


@njit
def _hint_point(px, py, pz, origin, h, hint, tri):
    """Closest point of the hint triangle of :func:`_hint_distance`."""
    ix = min(max(int((px - origin[0]) / h + 0.5), 0), hint.shape[0] - 1)
    iy = min(max(int((py - origin[1]) / h + 0.5), 0), hint.shape[1] - 1)
    iz = min(max(int((pz - origin[2]) / h + 0.5), 0), hint.shape[2] - 1)
    d2, qx, qy, qz, feat = closest_point_triangle(px, py, pz, tri[hint[ix, iy, iz]])
    return qx, qy, qz


@njit
def _box_distance(px, py, pz, lo, hi):
    d = 0.0
    for k, v in enumerate((px, py, pz)):
        if v < lo[k]:
            d += (lo[k] - v) ** 2
        elif v > hi[k]:
            d += (v - hi[k]) ** 2
    return math.sqrt(d)


@njit(parallel=True)
def fill_grid(origin, h, field, hint, rmin, rmax,
              c_bmin, c_bmax, c_left, c_right, c_start, c_count, c_tri,
              a_bmin, a_bmax, a_left, a_right, a_start, a_count, a_tri, a_face, faces,
              face_normal, edge_normal, vertex_normal):
    """Exact node values of ``field`` (nx, ny, nz, 2): [..., 0] distance to the contact
    triangles, [..., 1] signed distance to the whole surface; ``hint`` (nx, ny, nz) int32 the slot
    of the nearest contact triangle (BVH order), -1 where unused. Nodes outside the spherical shell
    ``rmin <= |x| <= rmax`` (never used by an interpolation) get d_c = sd = 1e9.
    Each node's search is bounded by its neighbour's value + h (both fields are 1-Lipschitz); the
    x planes run in parallel (numba threads), each node's value independent of the thread count."""
    nx, ny, nz = field.shape[0], field.shape[1], field.shape[2]
    for i in prange(nx):                 # planes are independent: each thread fills its own
        stack = np.empty(STACK_SIZE, np.int64)
        x = origin[0] + i * h
        for j in range(ny):
            y = origin[1] + j * h
            prev_d = np.inf
            prev_s = np.inf
            for k in range(nz):
                z = origin[2] + k * h
                r = math.sqrt(x * x + y * y + z * z)
                if r < rmin or r > rmax:
                    field[i, j, k, 0] = 1e9
                    field[i, j, k, 1] = 1e9
                    hint[i, j, k] = -1
                    prev_d = np.inf
                    prev_s = np.inf
                    continue
                bound = prev_d + h * 1.000001 + 1e-9 if prev_d < np.inf else np.inf
                d, slot, qx, qy, qz, feat = bvh_nearest(x, y, z, bound, c_bmin, c_bmax, c_left,
                                                        c_right, c_start, c_count, c_tri, stack)
                if slot < 0:
                    d, slot, qx, qy, qz, feat = bvh_nearest(x, y, z, np.inf, c_bmin, c_bmax, c_left,
                                                            c_right, c_start, c_count, c_tri, stack)
                hint[i, j, k] = slot
                bound = prev_s + h * 1.000001 + 1e-9 if prev_s < np.inf else np.inf
                ds, slot, qx, qy, qz, feat = bvh_nearest(x, y, z, bound, a_bmin, a_bmax, a_left,
                                                         a_right, a_start, a_count, a_tri, stack)
                if slot < 0:
                    ds, slot, qx, qy, qz, feat = bvh_nearest(x, y, z, np.inf, a_bmin, a_bmax, a_left,
                                                             a_right, a_start, a_count, a_tri, stack)
                sgn = feature_sign(x, y, z, qx, qy, qz, slot, feat, a_face, faces, face_normal,
                                   edge_normal, vertex_normal)
                field[i, j, k, 0] = d
                field[i, j, k, 1] = sgn * ds
                prev_d = d
                prev_s = ds


@njit
def clearance_poses(rot, qpts, vweight, q_out, cl_start, cl_centre, cl_radius, cl_out, cl_far,
                    cl_static, q_far, origin, h, err, field, hint, box_lo, box_hi, tol,
                    c_bmin, c_bmax, c_left, c_right, c_start, c_count, c_tri,
                    a_bmin, a_bmax, a_left, a_right, a_start, a_count, a_tri, a_face, faces,
                    face_normal, edge_normal, vertex_normal,
                    c_cell_start, c_cell_slots, c_cell_dist, c_cell_sph, a_cell_start, a_cell_slots,
                    a_cell_dist, a_cell_sph,
                    clearance, point, surface_point, area, n_exact):
    """Clearance of every pose (serial loop over poses).

    Parameters
    ----------
    rot : (n, 3, 3) rotations, femur frame -> pelvis frame
    qpts : (nq, 3) query points (femur frame), ordered by cluster; vweight (nq,) area [mm2]
    q_out : (nq,) bool, the point lies closer to the hip centre than any point of the acetabulum
        solid, so it is outside the solid in every pose (rotations keep |q|)
    cl_start : (nc + 1,) first point of each cluster; cl_centre (nc, 3); cl_radius (nc,);
        cl_out (nc,) bool, every point of the cluster has q_out
    q_far : (nq,) pose-independent lower bound [mm] on the distance of an always-outside point to
        the contact surface (from |q| alone; 0 when unknown); cl_far (nc,) its minimum over each
        cluster; cl_static (nc,) the clusters in order of increasing cl_far
    origin, h, field, hint : the grid (see :func:`fill_grid`); err = sqrt(3)/2 h (+ rounding slack)
    box_lo, box_hi : (3,) box of the whole acetabulum; the grid covers it with a margin larger
        than every cluster radius, so a point outside the grid is outside the solid
    tol : float [mm] >= 0, accepted error of the minimum: points whose lower bound is within
        ``tol`` of the best value are not refined, and a point outside for sure whose attained
        hint distance is within ``tol`` of its lower bound takes that distance (0: exact)
    c_* : BVH of the contact triangles; a_* : BVH of all triangles (for the sign);
    a_face : (M,) face index of each slot of the all-triangle BVH; faces; face_normal (F, 3);
    edge_normal (F, 3, 3) per face and local edge (ab, bc, ca); vertex_normal (V, 3)
    c_cell_start, c_cell_slots, c_cell_dist / a_cell_* : per-cell candidate triangles of the
        contact / whole surface (:func:`build_cell_lists`), used before the BVHs

    Outputs (filled): clearance (n,) [mm], point (n, 3) the femur point attaining it (pelvis
    frame), surface_point (n, 3) its closest contact-surface point, area (n,) [mm2] of
    non-articular femur surface inside the solid, n_exact (n,) exact evaluations made.
    """
    n = rot.shape[0]
    nq = qpts.shape[0]
    nc = cl_centre.shape[0]
    stack = np.empty(STACK_SIZE, np.int64)
    cl_lb = np.empty(nc)
    cell_r = math.sqrt(3.0) / 2.0 * h * 1.000001 + 1e-9
    cl_order = np.empty(nc, np.int64)
    cl_p = np.empty((nc, 3))
    cl_sure = np.zeros(nc, np.bool_)
    cand_idx = np.empty(nq, np.int64)
    cand_lb = np.empty(nq)
    cand_d = np.empty(nq)
    cand_s = np.empty(nq)
    cand_done = np.zeros(nq, np.int64)
    cand_sign = np.empty(nq)
    ex_order = np.empty(nq, np.int64)
    cand_e = np.empty(nq)
    cand_ub = np.empty(nq)
    for i in range(n):
        r00, r01, r02 = rot[i, 0, 0], rot[i, 0, 1], rot[i, 0, 2]
        r10, r11, r12 = rot[i, 1, 0], rot[i, 1, 1], rot[i, 1, 2]
        r20, r21, r22 = rot[i, 2, 0], rot[i, 2, 1], rot[i, 2, 2]
        best_ub = np.inf
        # 1. clusters: cheap bounds from the nearest grid node of each rotated bounding-sphere
        #    centre give a first best_ub; the trilinear bounds then refine the clusters that
        #    may still hold the minimum or lie inside the solid
        for o in range(nc):
            k = cl_static[o]
            if cl_far[k] > 0.0 and cl_far[k] > best_ub:
                # this and every later cluster lie outside the solid and farther than a known
                # candidate, by |q| alone (cl_far > 0 only when every point is always outside)
                for o2 in range(o, nc):
                    k2 = cl_static[o2]
                    cl_lb[k2] = cl_far[k2]
                    cl_sure[k2] = True
                break
            qx, qy, qz = cl_centre[k, 0], cl_centre[k, 1], cl_centre[k, 2]
            px = r00 * qx + r01 * qy + r02 * qz
            py = r10 * qx + r11 * qy + r12 * qz
            pz = r20 * qx + r21 * qy + r22 * qz
            cl_p[k, 0], cl_p[k, 1], cl_p[k, 2] = px, py, pz
            dn, sn, rn, ok = _node(px, py, pz, origin, h, field)
            rad = cl_radius[k] + rn
            if ok:
                cl_lb[k] = dn - rad
                cl_sure[k] = cl_out[k] or sn - rad > 0.0
                if dn + rad < best_ub:
                    best_ub = dn + rad
            else:
                cl_lb[k] = _box_distance(px, py, pz, box_lo, box_hi) - cl_radius[k]
                cl_sure[k] = True
        for k in range(nc):
            if cl_sure[k] and cl_lb[k] > best_ub:
                continue
            px, py, pz = cl_p[k, 0], cl_p[k, 1], cl_p[k, 2]
            d, s, e, dlb, inside = _interp(px, py, pz, origin, h, field)
            if not inside:
                continue
            e += cl_radius[k]
            if cl_out[k] or s > e:
                lb = max(dlb - cl_radius[k], cl_lb[k])
                ub = d + e
            else:
                lb = -(d + e)
                ub = -(d - e) if s < -e else d + e
            if ub < best_ub:
                best_ub = ub
            cl_lb[k] = lb
        # 2. points of the clusters that may hold the minimum or lie inside the solid
        # clusters that may matter, in order of increasing lower bound: the nearest ones set a
        # tight best_ub first, which then rejects most of the others whole
        n_open = 0
        for k in range(nc):
            if cl_lb[k] > best_ub and cl_lb[k] >= 0.0:
                continue
            pos = n_open
            while pos > 0 and cl_lb[cl_order[pos - 1]] > cl_lb[k]:
                cl_order[pos] = cl_order[pos - 1]
                pos -= 1
            cl_order[pos] = k
            n_open += 1
        nc_cand = 0
        for o in range(n_open):
            k = cl_order[o]
            if cl_lb[k] > best_ub and cl_lb[k] >= 0.0:
                continue
            for j in range(cl_start[k], cl_start[k + 1]):
                if q_far[j] > 0.0 and q_far[j] > best_ub:   # outside, and too far by |q| alone
                    continue
                qx, qy, qz = qpts[j, 0], qpts[j, 1], qpts[j, 2]
                px = r00 * qx + r01 * qy + r02 * qz
                py = r10 * qx + r11 * qy + r12 * qz
                pz = r20 * qx + r21 * qy + r22 * qz
                if _node_rejects(px, py, pz, origin, h, field, best_ub, q_out[j]):
                    continue
                d, s, e, dlb, inside = _interp(px, py, pz, origin, h, field)
                if inside:
                    if q_out[j] or s > e:                 # outside for sure
                        if q_out[j]:
                            s = np.inf
                        lb = dlb
                        if lb > best_ub:
                            continue
                        # the nearest node's nearest triangle: an attained distance, an upper
                        # bound on d that is usually exact
                        ub = _hint_distance(px, py, pz, origin, h, hint, c_tri)
                    else:
                        lb = -(d + e)
                        if lb <= best_ub:         # else only the area needs this point
                            hd = _hint_distance(px, py, pz, origin, h, hint, c_tri)
                            lb = -min(d + e, hd)
                            ub = -dlb if s < -e else hd
                        else:
                            ub = np.inf
                    if ub < best_ub:
                        best_ub = ub
                else:
                    lb = _box_distance(px, py, pz, box_lo, box_hi)
                    d = np.inf
                    s = np.inf
                    e = 0.0
                    ub = np.inf
                if lb <= best_ub or lb < 0.0:
                    cand_idx[nc_cand] = j
                    cand_lb[nc_cand] = lb
                    cand_d[nc_cand] = d
                    cand_s[nc_cand] = s
                    cand_e[nc_cand] = e
                    cand_ub[nc_cand] = ub
                    cand_done[nc_cand] = 0
                    nc_cand += 1
        # 3. exact evaluation in order of increasing lower bound, until none can do better:
        #    the candidates with lb <= best_ub, sorted by lb (insertion sort, few of them)
        n_ex = 0
        for c in range(nc_cand):
            if cand_lb[c] <= best_ub:
                lb = cand_lb[c]
                pos = n_ex
                while pos > 0 and cand_lb[ex_order[pos - 1]] > lb:
                    ex_order[pos] = ex_order[pos - 1]
                    pos -= 1
                ex_order[pos] = c
                n_ex += 1
        best = np.inf
        best_j = -1
        sx, sy, sz = np.nan, np.nan, np.nan
        count = 0
        for o in range(n_ex):
            m = ex_order[o]
            if cand_lb[m] > best - tol:
                break
            cand_done[m] = 1
            j = cand_idx[m]
            qx, qy, qz = qpts[j, 0], qpts[j, 1], qpts[j, 2]
            px = r00 * qx + r01 * qy + r02 * qz
            py = r10 * qx + r11 * qy + r12 * qz
            pz = r20 * qx + r21 * qy + r22 * qz
            if cand_ub[m] - cand_lb[m] <= tol and cand_s[m] > cand_e[m]:
                # outside for sure and the hint triangle's distance is within tol of the bound
                cand_sign[m] = 1.0
                if cand_ub[m] < best:
                    best = cand_ub[m]
                    best_j = j
                    sx, sy, sz = _hint_point(px, py, pz, origin, h, hint, c_tri)
                continue
            if cand_d[m] == np.inf and best < np.inf:
                # outside the grid, so outside the solid: only a distance below best matters,
                # and a BVH search bounded by it usually ends near the root
                dist, slot, cx, cy, cz, feat = bvh_nearest(px, py, pz, best, c_bmin, c_bmax, c_left,
                                                           c_right, c_start, c_count, c_tri, stack)
                cand_sign[m] = 1.0
                count += 1
                if slot >= 0 and dist < best:
                    best = dist
                    best_j = j
                    sx, sy, sz = cx, cy, cz
                continue
            bound = cand_d[m] + cand_e[m] if cand_d[m] < np.inf else np.inf
            cell = _cell_of(px, py, pz, origin, h, field)
            dist, slot, cx, cy, cz, feat = nearest(px, py, pz, bound, cell, c_cell_start, c_cell_slots,
                                                   c_cell_dist, c_cell_sph, cell_r,
                                                   c_bmin, c_bmax, c_left, c_right, c_start, c_count,
                                                   c_tri, stack)
            sgn = _sign(px, py, pz, cand_s[m], cand_e[m], origin, h, field, cell, a_cell_start,
                        a_cell_slots, a_cell_dist, a_cell_sph, cell_r, a_bmin, a_bmax, a_left, a_right,
                        a_start, a_count, a_tri, a_face, faces, face_normal, edge_normal, vertex_normal,
                        stack)
            cand_sign[m] = sgn
            count += 1
            v = sgn * dist
            if v < best:
                best = v
                best_j = j
                sx, sy, sz = cx, cy, cz
        # 4. overlap area: candidates that may be inside the solid
        a = 0.0
        for c in range(nc_cand):
            if cand_lb[c] >= 0.0:
                continue
            if cand_done[c] == 1:
                sgn = cand_sign[c]
            else:
                j = cand_idx[c]
                qx, qy, qz = qpts[j, 0], qpts[j, 1], qpts[j, 2]
                px = r00 * qx + r01 * qy + r02 * qz
                py = r10 * qx + r11 * qy + r12 * qz
                pz = r20 * qx + r21 * qy + r22 * qz
                cell = _cell_of(px, py, pz, origin, h, field)
                sgn = _sign(px, py, pz, cand_s[c], cand_e[c], origin, h, field, cell, a_cell_start,
                            a_cell_slots, a_cell_dist, a_cell_sph, cell_r, a_bmin, a_bmax, a_left,
                            a_right, a_start, a_count, a_tri, a_face, faces, face_normal, edge_normal,
                            vertex_normal, stack)
            if sgn < 0.0:
                a += vweight[cand_idx[c]]
        clearance[i] = best
        area[i] = a
        n_exact[i] = count
        if best_j >= 0:
            qx, qy, qz = qpts[best_j, 0], qpts[best_j, 1], qpts[best_j, 2]
            point[i, 0] = r00 * qx + r01 * qy + r02 * qz
            point[i, 1] = r10 * qx + r11 * qy + r12 * qz
            point[i, 2] = r20 * qx + r21 * qy + r22 * qz
        else:
            point[i, 0] = np.nan
            point[i, 1] = np.nan
            point[i, 2] = np.nan
        surface_point[i, 0] = sx
        surface_point[i, 1] = sy
        surface_point[i, 2] = sz


@njit
def _sign(px, py, pz, s_interp, err, origin, h, field, cell, cell_start, cell_slots, cell_dist,
          cell_sph, cell_r, a_bmin, a_bmax, a_left, a_right, a_start, a_count, a_tri, a_face, faces,
          face_normal, edge_normal, vertex_normal, stack):
    """Inside (-1) / outside (+1) of the whole solid: from the interpolated signed distance when
    it is farther than the interpolation error from 0, or from the nearest node's value when that
    is farther than the node, else exactly from the nearest feature."""
    if s_interp > err:
        return 1.0
    if s_interp < -err:
        return -1.0
    dn, sn, rn, ok = _node(px, py, pz, origin, h, field)
    if ok and sn > rn:
        return 1.0
    if ok and sn < -rn:
        return -1.0
    d, slot, qx, qy, qz, feat = nearest(px, py, pz, abs(s_interp) + err, cell, cell_start, cell_slots,
                                        cell_dist, cell_sph, cell_r,
                                        a_bmin, a_bmax, a_left, a_right, a_start, a_count, a_tri, stack)
    return feature_sign(px, py, pz, qx, qy, qz, slot, feat, a_face, faces, face_normal, edge_normal,
                        vertex_normal)


# ----------------------------------------------------------------------------- per-cell lists
@njit
def bvh_range(px, py, pz, radius, bmin, bmax, left, right, start, count, tri, stack, out, n_out):
    """Append to ``out`` the slots of the triangles within ``radius`` of ``p``; returns the
    (possibly reallocated) ``out`` and the new fill count."""
    r2 = radius * radius
    stack[0] = 0
    top = 1
    while top > 0:
        top -= 1
        node = stack[top]
        if _box_dist2(px, py, pz, bmin, bmax, node) > r2:
            continue
        n = count[node]
        if n > 0:
            s0 = start[node]
            for s in range(s0, s0 + n):
                d2, qx, qy, qz, feat = closest_point_triangle(px, py, pz, tri[s])
                if d2 <= r2:
                    if n_out >= out.shape[0]:
                        grown = np.empty(2 * out.shape[0], out.dtype)
                        grown[:n_out] = out[:n_out]
                        out = grown
                    out[n_out] = s
                    n_out += 1
        elif top + 2 <= stack.shape[0]:
            stack[top] = left[node]
            stack[top + 1] = right[node]
            top += 2
    return out, n_out


@njit
def build_cell_lists(origin, h, field, component, band, bmin, bmax, left, right, start, count, tri):
    """Candidate triangles of every grid cell whose corner values (``|field[..., component]|``)
    come within ``band`` [mm] of the surface: the triangles within d(c) + 2 r of the cell centre
    c (d exact, r = sqrt(3)/2 h the half-diagonal), which hold the nearest triangle of every point
    of the cell (dist(c, t*) <= dist(p, t*) + r <= d(c) + 2 r). Other cells get an empty list.
    Each cell's list is sorted by the distance of its triangles from the cell centre, so a
    search can stop at the first triangle whose centre distance minus r exceeds the best found.
    Returns (cell_start (ncell + 1,) int64, slots (k,) int32, centre_dist (k,) float64 [mm],
    sphere (M, 4) the bounding sphere (centre, radius) of every BVH slot's triangle, a cheap
    lower bound that skips most closest-point evaluations), cells numbered
    (ix * (ny - 1) + iy) * (nz - 1) + iz."""
    nx, ny, nz = field.shape[0] - 1, field.shape[1] - 1, field.shape[2] - 1
    cell_start = np.zeros(nx * ny * nz + 1, np.int64)
    out = np.empty(1 << 16, np.int32)
    dist = np.empty(1 << 16)
    n_out = 0
    stack = np.empty(STACK_SIZE, np.int64)
    r = math.sqrt(3.0) / 2.0 * h
    for i in range(nx):
        for j in range(ny):
            for k in range(nz):
                c = (i * ny + j) * nz + k
                cell_start[c] = n_out
                vmin = np.inf
                vmax = 0.0
                for di in range(2):
                    for dj in range(2):
                        for dk in range(2):
                            v = abs(field[i + di, j + dj, k + dk, component])
                            vmin = min(vmin, v)
                            vmax = max(vmax, v)
                if vmin >= band or vmax >= 1e8:
                    continue
                x = origin[0] + (i + 0.5) * h
                y = origin[1] + (j + 0.5) * h
                z = origin[2] + (k + 0.5) * h
                d, slot, qx, qy, qz, feat = bvh_nearest(x, y, z, vmin + r * 1.000001 + 1e-9, bmin, bmax,
                                                        left, right, start, count, tri, stack)
                if slot < 0:
                    d, slot, qx, qy, qz, feat = bvh_nearest(x, y, z, np.inf, bmin, bmax, left, right,
                                                            start, count, tri, stack)
                n0 = n_out
                out, n_out = bvh_range(x, y, z, d + 2.0 * r * 1.000001 + 1e-9, bmin, bmax, left,
                                       right, start, count, tri, stack, out, n_out)
                if dist.shape[0] < out.shape[0]:
                    grown = np.empty(out.shape[0])
                    grown[:n0] = dist[:n0]
                    dist = grown
                seg = out[n0:n_out].copy()
                dseg = np.empty(n_out - n0)
                for t in range(n_out - n0):
                    d2, qx, qy, qz, feat = closest_point_triangle(x, y, z, tri[seg[t]])
                    dseg[t] = math.sqrt(d2)
                order = np.argsort(dseg)
                for t in range(n_out - n0):
                    out[n0 + t] = seg[order[t]]
                    dist[n0 + t] = dseg[order[t]]
    cell_start[nx * ny * nz] = n_out
    sphere = np.empty((tri.shape[0], 4))
    for t in range(tri.shape[0]):
        for a in range(3):
            sphere[t, a] = (tri[t, 0, a] + tri[t, 1, a] + tri[t, 2, a]) / 3.0
        r2 = 0.0
        for v in range(3):
            dx = tri[t, v, 0] - sphere[t, 0]
            dy = tri[t, v, 1] - sphere[t, 1]
            dz = tri[t, v, 2] - sphere[t, 2]
            r2 = max(r2, dx * dx + dy * dy + dz * dz)
        sphere[t, 3] = math.sqrt(r2) * 1.000001 + 1e-9
    return cell_start, out[:n_out].copy(), dist[:n_out].copy(), sphere


@njit
def _cell_of(px, py, pz, origin, h, field):
    """Cell number of ``p`` (see :func:`build_cell_lists`), -1 outside the grid."""
    fx = (px - origin[0]) / h
    fy = (py - origin[1]) / h
    fz = (pz - origin[2]) / h
    if not (fx >= 0.0 and fy >= 0.0 and fz >= 0.0):
        return -1
    ix, iy, iz = int(fx), int(fy), int(fz)
    nx, ny, nz = field.shape[0] - 1, field.shape[1] - 1, field.shape[2] - 1
    if ix >= nx or iy >= ny or iz >= nz:
        return -1
    return (ix * ny + iy) * nz + iz


@njit
def nearest(px, py, pz, bound, cell, cell_start, cell_slots, cell_dist, cell_sph, cell_r, bmin, bmax,
            left, right, start, count, tri, stack):
    """Exact nearest triangle: from the cell's candidate list when it has one (sorted by the
    distance from the cell centre, which bounds the distance from ``p`` to within the cell's
    half-diagonal ``cell_r``), else the BVH."""
    if cell >= 0:
        a, b = cell_start[cell], cell_start[cell + 1]
        if b > a:
            best = np.inf
            best_slot = -1
            bx, by, bz = 0.0, 0.0, 0.0
            best_feat = -1
            reach2 = np.inf                          # (sqrt(best) + sphere radius)^2 bound
            for t in range(a, b):
                lb = cell_dist[t] - cell_r
                if lb > 0.0 and lb * lb > best:
                    break
                s = cell_slots[t]
                dx = px - cell_sph[s, 0]
                dy = py - cell_sph[s, 1]
                dz = pz - cell_sph[s, 2]
                c2 = dx * dx + dy * dy + dz * dz
                if c2 > reach2:
                    rr = math.sqrt(best) + cell_sph[s, 3]
                    if c2 > rr * rr:
                        continue
                d2, qx, qy, qz, feat = closest_point_triangle(px, py, pz, tri[s])
                if d2 < best:
                    best = d2
                    reach2 = 0.0
                    best_slot = s
                    bx, by, bz = qx, qy, qz
                    best_feat = feat
            return math.sqrt(best), best_slot, bx, by, bz, best_feat
    d, slot, qx, qy, qz, feat = bvh_nearest(px, py, pz, bound, bmin, bmax, left, right, start, count,
                                            tri, stack)
    if slot < 0:
        d, slot, qx, qy, qz, feat = bvh_nearest(px, py, pz, np.inf, bmin, bmax, left, right, start,
                                                count, tri, stack)
    return d, slot, qx, qy, qz, feat
