"""Newton-Euler inverse dynamics of the leg, from the foot up (numba).

Segment velocities come from the spatial Jacobian times the coordinate rates; accelerations
from central differences of those velocities over +-h in time (the coordinates themselves are
smooth splines). Recursion as in Winter (2009) Biomechanics and Motor Control of Human Movement,
ch. 5, in 3D with full inertia tensors (Dumas et al. 2004, doi:10.1016/j.jbiomech.2003.09.017).
"""
import numpy as np

from .._numba import njit


@njit
def _body_velocity(b, rot, origin, jac_w, jac_v, jac_o, mask, qdot, com, omega, vel):
    """Angular velocity of body b and linear velocity of its centre of mass, in ground."""
    c = np.empty(3)
    for i in range(3):
        c[i] = origin[b, i] + rot[b, i, 0] * com[b, 0] + rot[b, i, 1] * com[b, 1] + rot[b, i, 2] * com[b, 2]
    omega[:] = 0.0
    vel[:] = 0.0
    for k in range(qdot.shape[0]):
        if not mask[b, k]:
            continue
        rx = c[0] - jac_o[k, 0]
        ry = c[1] - jac_o[k, 1]
        rz = c[2] - jac_o[k, 2]
        w = jac_w[k]
        vel[0] += (w[1] * rz - w[2] * ry + jac_v[k, 0]) * qdot[k]
        vel[1] += (w[2] * rx - w[0] * rz + jac_v[k, 1]) * qdot[k]
        vel[2] += (w[0] * ry - w[1] * rx + jac_v[k, 2]) * qdot[k]
        for i in range(3):
            omega[i] += w[i] * qdot[k]
    return c


@njit
def _cross(a, b, out):
    out[0] = a[1] * b[2] - a[2] * b[1]
    out[1] = a[2] * b[0] - a[0] * b[2]
    out[2] = a[0] * b[1] - a[1] * b[0]


@njit
def newton_euler_frame(rot, origin, jac_w, jac_v, jac_o, qdot, h, joint_center, mask, mass, com,
                       inertia, gravity, load_body, force, cop, torque, joint_force, joint_moment,
                       gen_force):
    """Intersegmental loads of the leg in one frame.

    Parameters
    ----------
    rot, origin, jac_w, jac_v, jac_o : (3, ...) float
        Forward kinematics at t - h, t, t + h (leading axis).
    qdot : (3, n_coord) float
        Coordinate rates at the same three instants.
    joint_center : (n_body, 3) float
        Origin of each joint's child frame M in ground at t [m].
    force, cop, torque : (3,) float
        External force [N] on body ``load_body``, its point of application [m] and free moment
        [N m], ground frame.
    joint_force, joint_moment : (n_body, 3) float, out
        Force [N] and moment about the joint centre [N m] that each body's parent applies to the
        subtree it carries (body 0, the pelvis, is left zero).
    gen_force : (n_coord,) float, out
        Generalized force of each leg coordinate [N m or N]: w_k . moment + v_k . force.
    """
    n_body = mass.shape[0]
    omega = np.empty((3, 3))
    vel = np.empty((3, 3))
    c_now = np.empty(3)
    alpha = np.empty(3)
    acc = np.empty(3)
    iw = np.empty(3)
    tmp = np.empty(3)
    r = np.empty(3)
    world_inertia = np.empty((3, 3))
    joint_force[:] = 0.0
    joint_moment[:] = 0.0
    gen_force[:] = 0.0
    for b in range(n_body - 1, 0, -1):
        for s in range(3):
            c = _body_velocity(b, rot[s], origin[s], jac_w[s], jac_v[s], jac_o[s], mask, qdot[s], com,
                               omega[s], vel[s])
            if s == 1:
                c_now[:] = c
        for i in range(3):
            alpha[i] = (omega[2, i] - omega[0, i]) / (2.0 * h)
            acc[i] = (vel[2, i] - vel[0, i]) / (2.0 * h)
        R = rot[1, b]
        for i in range(3):
            for j in range(3):
                s = 0.0
                for k in range(3):
                    for l in range(3):
                        s += R[i, k] * inertia[b, k, l] * R[j, l]
                world_inertia[i, j] = s
        for i in range(3):
            iw[i] = world_inertia[i, 0] * omega[1, 0] + world_inertia[i, 1] * omega[1, 1] + world_inertia[i, 2] * omega[1, 2]
        _cross(omega[1], iw, tmp)
        # Force: parent load = m (a - g) - external + child's joint force.
        for i in range(3):
            f = mass[b] * (acc[i] - gravity[i])
            if b + 1 < n_body:
                f += joint_force[b + 1, i]
            if b == load_body:
                f -= force[i]
            joint_force[b, i] = f
        # Moment about this joint's centre.
        mom = np.empty(3)
        for i in range(3):
            mom[i] = (world_inertia[i, 0] * alpha[0] + world_inertia[i, 1] * alpha[1]
                      + world_inertia[i, 2] * alpha[2] + tmp[i])
        for i in range(3):
            r[i] = c_now[i] - joint_center[b, i]
        ma = np.empty(3)
        for i in range(3):
            ma[i] = mass[b] * (acc[i] - gravity[i])
        _cross(r, ma, tmp)
        for i in range(3):
            mom[i] += tmp[i]
        if b + 1 < n_body:
            for i in range(3):
                r[i] = joint_center[b + 1, i] - joint_center[b, i]
            _cross(r, joint_force[b + 1], tmp)
            for i in range(3):
                mom[i] += tmp[i] + joint_moment[b + 1, i]
        if b == load_body:
            for i in range(3):
                r[i] = cop[i] - joint_center[b, i]
            _cross(r, force, tmp)
            for i in range(3):
                mom[i] -= tmp[i] + torque[i]
        for i in range(3):
            joint_moment[b, i] = mom[i]
    for k in range(gen_force.shape[0]):
        # The coordinate's joint is the most proximal body it moves.
        for b in range(1, n_body):
            if mask[b, k] and not mask[b - 1, k]:
                s = 0.0
                for i in range(3):
                    s += jac_w[1, k, i] * joint_moment[b, i] + jac_v[1, k, i] * joint_force[b, i]
                gen_force[k] = s
                break


@njit
def newton_euler_frames(rot, origin, jac_w, jac_v, jac_o, qdot, h, joint_center, mask, mass, com,
                        inertia, gravity, load_body, force, cop, torque, joint_force, joint_moment,
                        gen_force):
    """:func:`newton_euler_frame` over frames; per-frame inputs have a leading frame axis
    (the kinematics arrays are (n_frame, 3, ...))."""
    for f in range(force.shape[0]):
        newton_euler_frame(rot[f], origin[f], jac_w[f], jac_v[f], jac_o[f], qdot[f], h,
                           joint_center[f], mask, mass, com, inertia, gravity, load_body, force[f],
                           cop[f], torque[f], joint_force[f], joint_moment[f], gen_force[f])
