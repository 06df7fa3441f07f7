"""Musculotendon path lengths, moment arms and hip-crossing directions (numba).

A path is a polyline through its active points (fixed, conditional and moving points, as in
OpenSim's GeometryPath), wrapped over cylinders where the muscle has PathWraps (see
``wrapping.py``; the multi-wrap ordering and iteration follow OpenSim's
``GeometryPath::applyWrapObjects``). Moment arms are r_k = -dL/dq_k (the generalized-force
convention of OpenSim, Sherman, Seth & Delp 2013, doi:10.1115/DETC2013-13633), computed
analytically from the spatial Jacobian of the chain, not by finite differences. Wrap tangent
points count as points fixed on the wrap object's body: the wrapped path is the shortest one,
so its length is stationary in the tangent points and this gives -dL/dq (envelope theorem),
which is also how OpenSim's moment-arm solver treats them. Dependent coordinates (couplers) are
folded back into their independent coordinate's column by the chain rule.
"""
import math

import numpy as np

from .._numba import njit
from .kinematics import eval_function, eval_function_at
from .wrapping import WRAP_MANDATORY, WRAP_WRAPPED, wrap_cylinder

POINT_CONDITIONAL, POINT_MOVING = 1, 2


@njit
def _point(p, q, rot, origin, jac_w, jac_v, jac_o, body_coord_mask, path_coords, point_body,
           point_location, point_type, point_func, func_type, func_coord, func_param, func_spline,
           spline_x, spline_coef, spline_n, coord_range, pos, dpos):
    """Ground position ``pos`` (3,) and derivative ``dpos`` (n_ext, 3) of path point ``p``
    (the same computation as the unwrapped loop of :func:`muscle_paths`, which keeps its own
    inline copy: calling this function from that loop made the kernel four times slower)."""
    b = point_body[p]
    loc = np.empty(3)
    dloc = np.zeros((q.shape[0], 3))
    kind = point_type[p]
    if kind == POINT_MOVING:
        for a in range(3):
            f = point_func[p, a]
            c = func_coord[f]
            x = 0.0
            inside = True
            if c >= 0:
                x = q[c]
                if x < coord_range[c, 0]:
                    x = coord_range[c, 0]
                    inside = False
                elif x > coord_range[c, 1]:
                    x = coord_range[c, 1]
                    inside = False
            val, der = eval_function_at(f, x, func_type, func_param, func_spline, spline_x,
                                        spline_coef, spline_n)
            loc[a] = val
            if c >= 0 and inside:
                dloc[c, a] += der
    else:
        loc[0] = point_location[p, 0]
        loc[1] = point_location[p, 1]
        loc[2] = point_location[p, 2]
    for i in range(3):
        pos[i] = origin[b, i] + rot[b, i, 0] * loc[0] + rot[b, i, 1] * loc[1] + rot[b, i, 2] * loc[2]
    _body_point_derivative(b, pos, jac_w, jac_v, jac_o, body_coord_mask, path_coords, dpos)
    if kind == POINT_MOVING:
        for kk in range(path_coords.shape[0]):
            k = path_coords[kk]
            for i in range(3):
                dpos[k, i] += rot[b, i, 0] * dloc[k, 0] + rot[b, i, 1] * dloc[k, 1] + rot[b, i, 2] * dloc[k, 2]


@njit
def _body_point_derivative(b, pos, jac_w, jac_v, jac_o, body_coord_mask, path_coords, dpos):
    """dpos[k] = d pos / d q_k for a point fixed on body ``b`` at ground position ``pos``."""
    for kk in range(path_coords.shape[0]):
        k = path_coords[kk]
        if body_coord_mask[b, k]:
            rx = pos[0] - jac_o[k, 0]
            ry = pos[1] - jac_o[k, 1]
            rz = pos[2] - jac_o[k, 2]
            dpos[k, 0] = jac_w[k, 1] * rz - jac_w[k, 2] * ry + jac_v[k, 0]
            dpos[k, 1] = jac_w[k, 2] * rx - jac_w[k, 0] * rz + jac_v[k, 1]
            dpos[k, 2] = jac_w[k, 0] * ry - jac_w[k, 1] * rx + jac_v[k, 2]
        else:
            dpos[k, 0] = dpos[k, 1] = dpos[k, 2] = 0.0


@njit
def _shift(vpos, vd, vbody, vpp, vwrap, varc, start, stop, by):
    """Move vertices [start, stop) by ``by`` places (positive: right)."""
    if by > 0:
        rng = range(stop - 1, start - 1, -1)
    else:
        rng = range(start, stop)
    for j in rng:
        vpos[j + by, :] = vpos[j, :]
        vd[j + by, :, :] = vd[j, :, :]
        vbody[j + by] = vbody[j]
        vpp[j + by] = vpp[j]
        vwrap[j + by] = vwrap[j]
        varc[j + by] = varc[j]


@njit
def _wrapped_length(n_v, vpos, vwrap, varc):
    total = 0.0
    for j in range(1, n_v):
        if vwrap[j] >= 0 and vwrap[j] == vwrap[j - 1]:
            total += varc[j]
        else:
            dx = vpos[j, 0] - vpos[j - 1, 0]
            dy = vpos[j, 1] - vpos[j - 1, 1]
            dz = vpos[j, 2] - vpos[j - 1, 2]
            total += math.sqrt(dx * dx + dy * dy + dz * dz)
    return total


@njit
def _to_wrap_frame(pos, rw, ow, out):
    for i in range(3):
        out[i] = (rw[0, i] * (pos[0] - ow[0]) + rw[1, i] * (pos[1] - ow[1])
                  + rw[2, i] * (pos[2] - ow[2]))


@njit
def wrapped_muscle_path(m, q, rot, origin, jac_w, jac_v, jac_o, body_coord_mask, path_coords,
                        muscle_point_start, point_body, point_location, point_type, point_coord,
                        point_range, point_func, func_type, func_coord, func_param, func_spline,
                        spline_x, spline_coef, spline_n, coord_range, wrap_body, wrap_rotation,
                        wrap_translation, wrap_radius, wrap_length, wrap_axis, wrap_sign,
                        muscle_wrap_start, pathwrap_object, pathwrap_range, moment_arm,
                        hip_direction):
    """Length of muscle ``m`` wrapped over its cylinders; fills ``moment_arm[m]`` and
    ``hip_direction[m]`` (see :func:`muscle_paths`) and returns the length [m].

    OpenSim's ``applyWrapObjects``: each PathWrap in turn (its previous tangent points removed)
    tries every segment of the current path within its point range, skipping segments between
    two tangent points of one object; the first segment passing through the cylinder wins,
    otherwise the wrap adding the least length. With two or more PathWraps this repeats up to 8
    times until the length changes by less than 0.5 mm, swapping the first two after the first
    pass if the first did not wrap and the second had an end inside its radius.
    """
    n_ext = q.shape[0]
    p0 = muscle_point_start[m]
    n_pt = muscle_point_start[m + 1] - p0
    w0 = muscle_wrap_start[m]
    n_pw = muscle_wrap_start[m + 1] - w0
    cap = n_pt + 2 * n_pw
    vpos = np.zeros((cap, 3))
    vd = np.zeros((cap, n_ext, 3))
    vbody = np.zeros(cap, np.int64)
    vpp = np.full(cap, -1, np.int64)
    vwrap = np.full(cap, -1, np.int64)
    varc = np.zeros(cap)
    active = np.zeros(n_pt, np.bool_)
    n_v = 0
    for j in range(n_pt):
        p = p0 + j
        if point_type[p] == POINT_CONDITIONAL:
            v = q[point_coord[p]]
            if v < point_range[p, 0] or v > point_range[p, 1]:
                continue
        active[j] = True
        _point(p, q, rot, origin, jac_w, jac_v, jac_o, body_coord_mask, path_coords, point_body,
               point_location, point_type, point_func, func_type, func_coord, func_param,
               func_spline, spline_x, spline_coef, spline_n, coord_range, vpos[n_v], vd[n_v])
        vbody[n_v] = point_body[p]
        vpp[n_v] = j
        n_v += 1
    order = np.arange(n_pw)
    result = np.zeros(n_pw, np.int64)
    a = np.empty(3)
    bpt = np.empty(3)
    r1 = np.empty(3)
    r2 = np.empty(3)
    best_r1 = np.empty(3)
    best_r2 = np.empty(3)
    rw = np.empty((3, 3))
    ow = np.empty(3)
    max_iter = 1 if n_pw < 2 else 8
    last_length = math.inf
    for kk in range(max_iter):
        for ii in range(n_pw):
            wl = order[ii]
            pw = w0 + wl
            result[ii] = 0
            for j in range(n_v):
                if vwrap[j] == wl:
                    _shift(vpos, vd, vbody, vpp, vwrap, varc, j + 2, n_v, -2)
                    n_v -= 2
                    break
            w = pathwrap_object[pw]
            lo = 0 if pathwrap_range[pw, 0] < 1 else pathwrap_range[pw, 0] - 1
            hi = n_pt - 1 if pathwrap_range[pw, 1] < 1 else pathwrap_range[pw, 1] - 1
            smp = lo
            while smp <= hi and not active[smp]:
                smp += 1
            emp = hi
            while emp >= lo and not active[emp]:
                emp -= 1
            if smp > hi or emp < lo:
                continue
            start = -1
            end = -1
            for j in range(n_v):
                if vpp[j] == smp:
                    start = j
                if vpp[j] == emp:
                    end = j
            if start < 0 or end < 0:
                continue
            bw = wrap_body[w]
            for i in range(3):
                for j in range(3):
                    rw[i, j] = (rot[bw, i, 0] * wrap_rotation[w, 0, j] + rot[bw, i, 1] * wrap_rotation[w, 1, j]
                                + rot[bw, i, 2] * wrap_rotation[w, 2, j])
                ow[i] = origin[bw, i] + (rot[bw, i, 0] * wrap_translation[w, 0] + rot[bw, i, 1] * wrap_translation[w, 1]
                                         + rot[bw, i, 2] * wrap_translation[w, 2])
            best_at = -1
            best_arc = 0.0
            min_change = math.inf
            for pt1 in range(start, end):
                pt2 = pt1 + 1
                if vwrap[pt1] >= 0 and vwrap[pt2] >= 0 and vwrap[pt1] == vwrap[pt2]:
                    continue
                _to_wrap_frame(vpos[pt1], rw, ow, a)
                _to_wrap_frame(vpos[pt2], rw, ow, bpt)
                code, arc = wrap_cylinder(a, bpt, wrap_radius[w], wrap_length[w], wrap_axis[w],
                                          wrap_sign[w], r1, r2)
                result[ii] = code
                if code == WRAP_MANDATORY:
                    best_at = pt1
                    best_arc = arc
                    best_r1[:] = r1
                    best_r2[:] = r2
                    break
                elif code == WRAP_WRAPPED:
                    straight = math.sqrt((a[0] - bpt[0]) ** 2 + (a[1] - bpt[1]) ** 2 + (a[2] - bpt[2]) ** 2)
                    change = (math.sqrt((a[0] - r1[0]) ** 2 + (a[1] - r1[1]) ** 2 + (a[2] - r1[2]) ** 2)
                              + arc + math.sqrt((bpt[0] - r2[0]) ** 2 + (bpt[1] - r2[1]) ** 2
                                                + (bpt[2] - r2[2]) ** 2) - straight)
                    if change < min_change:
                        min_change = change
                        best_at = pt1
                        best_arc = arc
                        best_r1[:] = r1
                        best_r2[:] = r2
            if best_at >= 0:
                at = best_at + 1
                _shift(vpos, vd, vbody, vpp, vwrap, varc, at, n_v, 2)
                n_v += 2
                for t in range(2):
                    src = best_r1 if t == 0 else best_r2
                    for i in range(3):
                        vpos[at + t, i] = ow[i] + rw[i, 0] * src[0] + rw[i, 1] * src[1] + rw[i, 2] * src[2]
                    _body_point_derivative(bw, vpos[at + t], jac_w, jac_v, jac_o, body_coord_mask,
                                           path_coords, vd[at + t])
                    vbody[at + t] = bw
                    vpp[at + t] = -1
                    vwrap[at + t] = wl
                varc[at] = 0.0
                varc[at + 1] = best_arc
        total = _wrapped_length(n_v, vpos, vwrap, varc)
        if abs(total - last_length) < 0.0005:
            break
        last_length = total
        if kk == 0 and n_pw > 1:
            if result[0] == 0 and result[1] == -1:
                order[0] = 1
                order[1] = 0
                for j in range(n_v):
                    if vwrap[j] == 0:
                        _shift(vpos, vd, vbody, vpp, vwrap, varc, j + 2, n_v, -2)
                        n_v -= 2
                        break
    # Length, moment arms and hip direction of the final path.
    moment_arm[m, :] = 0.0
    hip_direction[m, :] = 0.0
    total = 0.0
    seg = np.empty(3)
    for j in range(1, n_v):
        if vwrap[j] >= 0 and vwrap[j] == vwrap[j - 1]:
            total += varc[j]
            continue
        for i in range(3):
            seg[i] = vpos[j, i] - vpos[j - 1, i]
        seg_len = math.sqrt(seg[0] * seg[0] + seg[1] * seg[1] + seg[2] * seg[2])
        if seg_len > 0.0:
            for i in range(3):
                seg[i] /= seg_len
        total += seg_len
        for kk in range(path_coords.shape[0]):
            k = path_coords[kk]
            moment_arm[m, k] -= (seg[0] * (vd[j, k, 0] - vd[j - 1, k, 0]) + seg[1] * (vd[j, k, 1] - vd[j - 1, k, 1])
                                 + seg[2] * (vd[j, k, 2] - vd[j - 1, k, 2]))
        sign = 0.0
        if vbody[j - 1] == 0 and vbody[j] != 0:
            sign = -1.0
        elif vbody[j - 1] != 0 and vbody[j] == 0:
            sign = 1.0
        if sign != 0.0:
            for i in range(3):
                hip_direction[m, i] = sign * (rot[0, 0, i] * seg[0] + rot[0, 1, i] * seg[1]
                                              + rot[0, 2, i] * seg[2])
    return total


@njit
def muscle_paths(q, rot, origin, jac_w, jac_v, jac_o, body_coord_mask, path_coords, muscle_point_start,
                 point_body, point_location, point_type, point_coord, point_range, point_func,
                 func_type, func_coord, func_param, func_spline, spline_x, spline_coef, spline_n,
                 coord_range, wrap_body, wrap_rotation, wrap_translation, wrap_radius, wrap_length,
                 wrap_axis, wrap_sign, muscle_wrap_start, pathwrap_object, pathwrap_range,
                 dependent_func, length, moment_arm, hip_direction):
    """Lengths, moment arms and hip-crossing directions of all muscles in one pose.

    Parameters
    ----------
    q : (n_ext,) float, extended coordinates (independent, then dependent)
    rot, origin, jac_w, jac_v, jac_o : outputs of ``chain_pose`` for ``q``.
    body_coord_mask : (n_body, n_ext) bool
    path_coords : (n_path_coord,) int
        Coordinates whose moment arms are wanted (those of the pelvis are zero by symmetry:
        moving the whole model does not change a length); the other columns stay zero.
    coord_range : (n_coord, 2) float, coordinate limits (moving points clamp to them)
    wrap_* , muscle_wrap_start, pathwrap_object, pathwrap_range : wrap cylinders and each
        muscle's PathWraps (see ``hipsim.model.Model``); empty for a via-point model.
    dependent_func : (n_dep,) int, coupler function of each dependent coordinate; the moment arm
        about dependent coordinate d (column n_coord + d) is added, times the coupler's slope,
        to its independent coordinate's column.
    length : (n_muscle,) float, out [m]
    moment_arm : (n_muscle, n_ext) float, out [m]
    hip_direction : (n_muscle, 3) float, out
        Unit direction, in the pelvis frame, of the muscle force acting on the thigh side of the
        hip (from the first point distal to the hip toward the last pelvis point); zero for
        muscles that do not cross the hip.
    """
    n_coord = q.shape[0]
    pos = np.empty(3)
    prev = np.empty(3)
    loc = np.empty(3)
    dpos = np.zeros((n_coord, 3))
    dprev = np.zeros((n_coord, 3))
    dloc = np.zeros((n_coord, 3))
    seg = np.empty(3)
    for m in range(muscle_point_start.shape[0] - 1):
        if muscle_wrap_start[m + 1] > muscle_wrap_start[m]:
            length[m] = wrapped_muscle_path(
                m, q, rot, origin, jac_w, jac_v, jac_o, body_coord_mask, path_coords,
                muscle_point_start, point_body, point_location, point_type, point_coord,
                point_range, point_func, func_type, func_coord, func_param, func_spline,
                spline_x, spline_coef, spline_n, coord_range, wrap_body, wrap_rotation,
                wrap_translation, wrap_radius, wrap_length, wrap_axis, wrap_sign,
                muscle_wrap_start, pathwrap_object, pathwrap_range, moment_arm, hip_direction)
            continue
        total = 0.0
        moment_arm[m, :] = 0.0
        hip_direction[m, :] = 0.0
        have_prev = False
        prev_body = -1
        for p in range(muscle_point_start[m], muscle_point_start[m + 1]):
            kind = point_type[p]
            if kind == POINT_CONDITIONAL:
                v = q[point_coord[p]]
                if v < point_range[p, 0] or v > point_range[p, 1]:
                    continue
            b = point_body[p]
            dloc[:] = 0.0
            if kind == POINT_MOVING:
                # OpenSim clamps a moving point's coordinate to its range (MovingPathPoint).
                for a in range(3):
                    f = point_func[p, a]
                    c = func_coord[f]
                    x = 0.0
                    inside = True
                    if c >= 0:
                        x = q[c]
                        if x < coord_range[c, 0]:
                            x = coord_range[c, 0]
                            inside = False
                        elif x > coord_range[c, 1]:
                            x = coord_range[c, 1]
                            inside = False
                    val, der = eval_function_at(f, x, func_type, func_param, func_spline, spline_x,
                                                spline_coef, spline_n)
                    loc[a] = val
                    if c >= 0 and inside:
                        dloc[c, a] += der
            else:
                loc[0] = point_location[p, 0]
                loc[1] = point_location[p, 1]
                loc[2] = point_location[p, 2]
            for i in range(3):
                pos[i] = origin[b, i] + rot[b, i, 0] * loc[0] + rot[b, i, 1] * loc[1] + rot[b, i, 2] * loc[2]
            for kk in range(path_coords.shape[0]):
                k = path_coords[kk]
                if body_coord_mask[b, k]:
                    rx = pos[0] - jac_o[k, 0]
                    ry = pos[1] - jac_o[k, 1]
                    rz = pos[2] - jac_o[k, 2]
                    dpos[k, 0] = jac_w[k, 1] * rz - jac_w[k, 2] * ry + jac_v[k, 0]
                    dpos[k, 1] = jac_w[k, 2] * rx - jac_w[k, 0] * rz + jac_v[k, 1]
                    dpos[k, 2] = jac_w[k, 0] * ry - jac_w[k, 1] * rx + jac_v[k, 2]
                else:
                    dpos[k, 0] = dpos[k, 1] = dpos[k, 2] = 0.0
                if kind == POINT_MOVING:
                    for i in range(3):
                        dpos[k, i] += rot[b, i, 0] * dloc[k, 0] + rot[b, i, 1] * dloc[k, 1] + rot[b, i, 2] * dloc[k, 2]
            if have_prev:
                for i in range(3):
                    seg[i] = pos[i] - prev[i]
                seg_len = math.sqrt(seg[0] * seg[0] + seg[1] * seg[1] + seg[2] * seg[2])
                if seg_len > 0.0:
                    for i in range(3):
                        seg[i] /= seg_len
                total += seg_len
                for kk in range(path_coords.shape[0]):
                    k = path_coords[kk]
                    moment_arm[m, k] -= (seg[0] * (dpos[k, 0] - dprev[k, 0]) + seg[1] * (dpos[k, 1] - dprev[k, 1])
                                         + seg[2] * (dpos[k, 2] - dprev[k, 2]))
                # Force on the distal side of the hip points from the distal point to the pelvis point.
                sign = 0.0
                if prev_body == 0 and b != 0:
                    sign = -1.0
                elif prev_body != 0 and b == 0:
                    sign = 1.0
                if sign != 0.0:
                    for i in range(3):
                        hip_direction[m, i] = sign * (rot[0, 0, i] * seg[0] + rot[0, 1, i] * seg[1]
                                                      + rot[0, 2, i] * seg[2])
            for i in range(3):
                prev[i] = pos[i]
            dprev[:, :] = dpos
            have_prev = True
            prev_body = b
        length[m] = total
    n_indep = q.shape[0] - dependent_func.shape[0]
    for d in range(dependent_func.shape[0]):
        f = dependent_func[d]
        _, slope = eval_function(f, q, func_type, func_coord, func_param, func_spline, spline_x,
                                 spline_coef, spline_n)
        k = func_coord[f]
        for m in range(moment_arm.shape[0]):
            moment_arm[m, k] += moment_arm[m, n_indep + d] * slope


@njit
def muscle_paths_frames(q, rot, origin, jac_w, jac_v, jac_o, body_coord_mask, path_coords, muscle_point_start,
                        point_body, point_location, point_type, point_coord, point_range, point_func,
                        func_type, func_coord, func_param, func_spline, spline_x, spline_coef,
                        spline_n, coord_range, wrap_body, wrap_rotation, wrap_translation,
                        wrap_radius, wrap_length, wrap_axis, wrap_sign, muscle_wrap_start,
                        pathwrap_object, pathwrap_range, dependent_func, length, moment_arm,
                        hip_direction):
    """:func:`muscle_paths` for every frame (leading axis of every per-frame array)."""
    for i in range(q.shape[0]):
        muscle_paths(q[i], rot[i], origin[i], jac_w[i], jac_v[i], jac_o[i], body_coord_mask,
                     path_coords, muscle_point_start, point_body, point_location, point_type, point_coord,
                     point_range, point_func, func_type, func_coord, func_param, func_spline,
                     spline_x, spline_coef, spline_n, coord_range, wrap_body, wrap_rotation,
                     wrap_translation, wrap_radius, wrap_length, wrap_axis, wrap_sign,
                     muscle_wrap_start, pathwrap_object, pathwrap_range, dependent_func,
                     length[i], moment_arm[i], hip_direction[i])
