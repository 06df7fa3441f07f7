"""Forward kinematics of a CustomJoint tree and musculotendon paths (numba).

Arrays in, arrays out; these kernels never raise and never read module globals.
A CustomJoint maps its coordinates to three successive body-fixed rotations about its
rotation axes and a translation along its translation axes, both in the joint's parent
frame F (OpenSim's SpatialTransform, Seth et al. 2011, doi:10.1016/j.piutam.2011.04.021).
Several axes may be functions of the same coordinate (e.g. Rajagopal's walker knee): the
Jacobian column sums their contributions, each rotation axis taken after the rotations that
precede it. Coordinates are *extended* coordinates: independent ones, then dependent ones
(CoordinateCouplerConstraint) that :func:`extend_coordinates` computes from them.
"""
import math

import numpy as np

from .._numba import njit

FUNC_CONSTANT, FUNC_LINEAR, FUNC_SPLINE, FUNC_POLY = 0, 1, 2, 3


@njit
def eval_function(f, q, func_type, func_coord, func_param, func_spline, spline_x, spline_coef,
                  spline_n):
    """Value and derivative (with respect to its coordinate) of function ``f`` at ``q``."""
    if func_type[f] == FUNC_CONSTANT:
        return func_param[f, 0], 0.0
    return eval_function_at(f, q[func_coord[f]], func_type, func_param, func_spline, spline_x,
                            spline_coef, spline_n)


@njit
def eval_function_at(f, x, func_type, func_param, func_spline, spline_x, spline_coef, spline_n):
    """Value and derivative of function ``f`` at abscissa ``x``.

    Splines are SIMM cubic splines, linearly extrapolated; a polynomial (FUNC_POLY) keeps its
    coefficients, highest order first, in ``spline_x[func_spline[f], :spline_n]``.
    """
    kind = func_type[f]
    if kind == FUNC_CONSTANT:
        return func_param[f, 0], 0.0
    if kind == FUNC_LINEAR:
        return func_param[f, 0] * x + func_param[f, 1], func_param[f, 0]
    s = func_spline[f]
    if kind == FUNC_POLY:
        val = 0.0
        der = 0.0
        for i in range(spline_n[s]):
            der = der * x + val
            val = val * x + spline_x[s, i]
        return val, der
    n = spline_n[s]
    xs = spline_x[s]
    coef = spline_coef[s]
    if x <= xs[0]:
        return coef[0, 0] + (x - xs[0]) * coef[0, 1], coef[0, 1]
    if x >= xs[n - 1]:
        return coef[n - 1, 0] + (x - xs[n - 1]) * coef[n - 1, 1], coef[n - 1, 1]
    k = 0
    while k < n - 2 and x >= xs[k + 1]:
        k += 1
    dx = x - xs[k]
    y, b, c, d = coef[k, 0], coef[k, 1], coef[k, 2], coef[k, 3]
    return y + dx * (b + dx * (c + dx * d)), b + dx * (2.0 * c + 3.0 * d * dx)


@njit
def axis_rotation(axis, angle, out):
    """Rotation matrix about unit ``axis`` by ``angle`` [rad] (Rodrigues), written to ``out``."""
    c = math.cos(angle)
    s = math.sin(angle)
    t = 1.0 - c
    x, y, z = axis[0], axis[1], axis[2]
    out[0, 0] = t * x * x + c
    out[0, 1] = t * x * y - s * z
    out[0, 2] = t * x * z + s * y
    out[1, 0] = t * x * y + s * z
    out[1, 1] = t * y * y + c
    out[1, 2] = t * y * z - s * x
    out[2, 0] = t * x * z - s * y
    out[2, 1] = t * y * z + s * x
    out[2, 2] = t * z * z + c


@njit
def extend_coordinates(q, dependent_func, func_type, func_coord, func_param, func_spline, spline_x,
                       spline_coef, spline_n, q_ext, slope):
    """Extended coordinates of one frame: ``q_ext = [q, f_d(q)]``.

    Parameters
    ----------
    q : (n_coord,) float, independent coordinates [rad or m]
    dependent_func : (n_dep,) int, coupler function of each dependent coordinate
    q_ext : (n_coord + n_dep,) float, out
    slope : (n_dep,) float, out, d q_dep / d q_indep (the coupler's derivative)
    """
    n = q.shape[0]
    for i in range(n):
        q_ext[i] = q[i]
    for d in range(dependent_func.shape[0]):
        val, der = eval_function(dependent_func[d], q, func_type, func_coord, func_param,
                                 func_spline, spline_x, spline_coef, spline_n)
        q_ext[n + d] = val
        slope[d] = der


@njit
def extend_coordinates_frames(q, qdot, dependent_func, func_type, func_coord, func_param,
                              func_spline, spline_x, spline_coef, spline_n, q_ext, qdot_ext):
    """:func:`extend_coordinates` for (n_frame, n_coord) ``q`` and rates ``qdot`` (the dependent
    rates are slope x independent rate)."""
    slope = np.empty(dependent_func.shape[0])
    n = q.shape[1]
    for i in range(q.shape[0]):
        extend_coordinates(q[i], dependent_func, func_type, func_coord, func_param, func_spline,
                           spline_x, spline_coef, spline_n, q_ext[i], slope)
        for k in range(n):
            qdot_ext[i, k] = qdot[i, k]
        for d in range(dependent_func.shape[0]):
            qdot_ext[i, n + d] = slope[d] * qdot[i, func_coord[dependent_func[d]]]


@njit
def chain_pose(q, parent_offset, child_offset, joint_axis, joint_func, func_type, func_coord,
               func_param, func_spline, spline_x, spline_coef, spline_n, body_parent, rot, origin,
               jac_w, jac_v, jac_o):
    """Pose of every body and the spatial Jacobian column of every coordinate, in ground.

    Parameters
    ----------
    q : (n_ext,) float
        Extended coordinates [rad or m].
    body_parent : (n_body,) int
        Parent of each body (-1: ground); parents come before their children.
    rot, origin : (n_body, 3, 3), (n_body, 3) float, out
        Body orientation and origin in ground [m].
    jac_w, jac_v, jac_o : (n_ext, 3) float, out
        For coordinate k, a point p on a body it moves has dp/dq_k = w × (p - o) + v (each
        extended coordinate drives one joint).
    """
    n_body = rot.shape[0]
    jac_w[:] = 0.0
    jac_v[:] = 0.0
    jac_o[:] = 0.0
    r_f = np.empty((3, 3))
    acc = np.empty((3, 3))
    step = np.empty((3, 3))
    tmp = np.empty((3, 3))
    o_f = np.empty(3)
    t = np.empty(3)
    o_m = np.empty(3)
    r_m = np.empty((3, 3))
    w_local = np.zeros((jac_w.shape[0], 3))
    for b in range(n_body):
        # Parent frame F of the joint, in ground.
        pb = body_parent[b]
        for i in range(3):
            for j in range(3):
                if pb < 0:
                    r_f[i, j] = parent_offset[b, i, j]
                else:
                    r_f[i, j] = (rot[pb, i, 0] * parent_offset[b, 0, j]
                                 + rot[pb, i, 1] * parent_offset[b, 1, j]
                                 + rot[pb, i, 2] * parent_offset[b, 2, j])
            if pb < 0:
                o_f[i] = parent_offset[b, i, 3]
            else:
                o_f[i] = origin[pb, i] + (rot[pb, i, 0] * parent_offset[b, 0, 3]
                                          + rot[pb, i, 1] * parent_offset[b, 1, 3]
                                          + rot[pb, i, 2] * parent_offset[b, 2, 3])
        # Successive body-fixed rotations.
        acc[:] = 0.0
        acc[0, 0] = acc[1, 1] = acc[2, 2] = 1.0
        for a in range(3):
            f = joint_func[b, a]
            val, der = eval_function(f, q, func_type, func_coord, func_param, func_spline,
                                     spline_x, spline_coef, spline_n)
            k = func_coord[f]
            if k >= 0:
                for i in range(3):
                    w_local[k, i] += der * (acc[i, 0] * joint_axis[b, a, 0] + acc[i, 1] * joint_axis[b, a, 1]
                                            + acc[i, 2] * joint_axis[b, a, 2])
            if val == 0.0 and k < 0:
                continue  # a locked zero rotation (most CustomJoint axes) changes nothing
            axis_rotation(joint_axis[b, a], val, step)
            for i in range(3):
                for j in range(3):
                    tmp[i, j] = acc[i, 0] * step[0, j] + acc[i, 1] * step[1, j] + acc[i, 2] * step[2, j]
            acc[:] = tmp
        t[:] = 0.0
        for a in range(3, 6):
            f = joint_func[b, a]
            val, der = eval_function(f, q, func_type, func_coord, func_param, func_spline,
                                     spline_x, spline_coef, spline_n)
            k = func_coord[f]
            for i in range(3):
                t[i] += val * joint_axis[b, a, i]
            if k >= 0:
                for i in range(3):
                    jac_v[k, i] += der * (r_f[i, 0] * joint_axis[b, a, 0] + r_f[i, 1] * joint_axis[b, a, 1]
                                          + r_f[i, 2] * joint_axis[b, a, 2])
        # Child frame M in ground, then the child body from M's offset in the body.
        for i in range(3):
            o_m[i] = o_f[i] + r_f[i, 0] * t[0] + r_f[i, 1] * t[1] + r_f[i, 2] * t[2]
            for j in range(3):
                r_m[i, j] = r_f[i, 0] * acc[0, j] + r_f[i, 1] * acc[1, j] + r_f[i, 2] * acc[2, j]
        for i in range(3):
            for j in range(3):
                rot[b, i, j] = (r_m[i, 0] * child_offset[b, j, 0] + r_m[i, 1] * child_offset[b, j, 1]
                                + r_m[i, 2] * child_offset[b, j, 2])
        for i in range(3):
            origin[b, i] = o_m[i] - (rot[b, i, 0] * child_offset[b, 0, 3] + rot[b, i, 1] * child_offset[b, 1, 3]
                                     + rot[b, i, 2] * child_offset[b, 2, 3])
        for a in range(6):
            k = func_coord[joint_func[b, a]]
            if k >= 0:
                for i in range(3):
                    jac_w[k, i] = r_f[i, 0] * w_local[k, 0] + r_f[i, 1] * w_local[k, 1] + r_f[i, 2] * w_local[k, 2]
                    jac_o[k, i] = o_m[i]
        for a in range(6):
            k = func_coord[joint_func[b, a]]
            if k >= 0:
                w_local[k, :] = 0.0


@njit
def forward_kinematics_frames(q, parent_offset, child_offset, joint_axis, joint_func, func_type,
                              func_coord, func_param, func_spline, spline_x, spline_coef, spline_n,
                              body_parent, rot, origin, jac_w, jac_v, jac_o):
    """:func:`chain_pose` for every frame: q (n_frame, n_ext) -> per-frame outputs."""
    for i in range(q.shape[0]):
        chain_pose(q[i], parent_offset, child_offset, joint_axis, joint_func, func_type, func_coord,
                   func_param, func_spline, spline_x, spline_coef, spline_n, body_parent, rot[i],
                   origin[i], jac_w[i], jac_v[i], jac_o[i])
