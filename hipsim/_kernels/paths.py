"""Musculotendon path lengths, moment arms and hip-crossing directions (numba).

A path is a polyline through its active points (fixed, conditional and moving points, as in
OpenSim's GeometryPath without wrapping). Moment arms are r_k = -dL/dq_k (the generalized-force
convention of OpenSim, Sherman, Seth & Delp 2013, doi:10.1115/DETC2013-13633), computed
analytically from the spatial Jacobian of the chain, not by finite differences.
"""
import math

import numpy as np

from .._numba import njit
from .kinematics import eval_function_at

POINT_CONDITIONAL, POINT_MOVING = 1, 2


@njit
def muscle_paths(q, rot, origin, jac_w, jac_v, jac_o, body_coord_mask, path_coords, muscle_point_start,
                 point_body, point_location, point_type, point_coord, point_range, point_func,
                 func_type, func_coord, func_param, func_spline, spline_x, spline_coef, spline_n,
                 coord_range, length, moment_arm, hip_direction):
    """Lengths, moment arms and hip-crossing directions of all muscles in one pose.

    Parameters
    ----------
    q : (n_coord,) float
    rot, origin, jac_w, jac_v, jac_o : outputs of ``chain_pose`` for ``q``.
    body_coord_mask : (n_body, n_coord) bool
    path_coords : (n_path_coord,) int
        Coordinates whose moment arms are wanted (those of the pelvis are zero by symmetry:
        moving the whole model does not change a length); the other columns stay zero.
    coord_range : (n_coord, 2) float, coordinate limits (moving points clamp to them)
    length : (n_muscle,) float, out [m]
    moment_arm : (n_muscle, n_coord) float, out [m]
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


@njit
def muscle_paths_frames(q, rot, origin, jac_w, jac_v, jac_o, body_coord_mask, path_coords, muscle_point_start,
                        point_body, point_location, point_type, point_coord, point_range, point_func,
                        func_type, func_coord, func_param, func_spline, spline_x, spline_coef,
                        spline_n, coord_range, length, moment_arm, hip_direction):
    """:func:`muscle_paths` for every frame (leading axis of every per-frame array)."""
    for i in range(q.shape[0]):
        muscle_paths(q[i], rot[i], origin[i], jac_w[i], jac_v[i], jac_o[i], body_coord_mask,
                     path_coords, muscle_point_start, point_body, point_location, point_type, point_coord,
                     point_range, point_func, func_type, func_coord, func_param, func_spline,
                     spline_x, spline_coef, spline_n, coord_range, length[i], moment_arm[i],
                     hip_direction[i])
