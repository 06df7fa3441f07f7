"""Forward kinematics of the pelvis and right-leg tree (thin wrapper over the numba kernel)."""
import numpy as np

from ._kernels.kinematics import extend_coordinates_frames, forward_kinematics_frames


def model_arrays(model):
    """The joint and function arrays of ``model`` in the order the kernels take them."""
    return (model.joint_parent_offset, model.joint_child_offset, model.joint_axis, model.joint_func,
            model.func_type, model.func_coord, model.func_param, model.func_spline,
            model.spline_x, model.spline_coef, model.spline_n, model.body_parent)


def extended_coordinates(model, q, qdot=None):
    """``[q, q_dep]`` (n_frame, n_ext), the dependent coordinates from their couplers, and
    likewise the rates when ``qdot`` is given; ``q`` itself when the model has none."""
    q = np.ascontiguousarray(q, dtype=float)
    if model.n_dependent == 0:
        return q if qdot is None else (q, np.ascontiguousarray(qdot, dtype=float))
    q_ext = np.empty((q.shape[0], model.n_ext))
    qd_ext = np.empty_like(q_ext)
    qd = np.zeros_like(q) if qdot is None else np.ascontiguousarray(qdot, dtype=float)
    extend_coordinates_frames(q, qd, model.dependent_func, model.func_type, model.func_coord,
                              model.func_param, model.func_spline, model.spline_x,
                              model.spline_coef, model.spline_n, q_ext, qd_ext)
    return q_ext if qdot is None else (q_ext, qd_ext)


def forward_kinematics(model, q, with_jacobian=False):
    """Body poses in ground for each frame.

    Parameters
    ----------
    model : hipsim.model.Model
    q : (n_frame, n_coord) float
        Coordinates in ``model.coordinate_names`` order [rad, m] (dependent coordinates, if the
        model has any, are computed from their couplers).
    with_jacobian : bool
        Also return the spatial Jacobian columns ``(w, v, o)``, each (n_frame, n_ext, 3): a point
        p on a body moved by extended coordinate k has dp/dq_k = w_k × (p - o_k) + v_k.

    Returns
    -------
    rot : (n_frame, n_body, 3, 3) float
    origin : (n_frame, n_body, 3) float [m]
    """
    q = extended_coordinates(model, q)
    n_frame, n_body, n_ext = q.shape[0], len(model.body_names), model.n_ext
    rot = np.empty((n_frame, n_body, 3, 3))
    origin = np.empty((n_frame, n_body, 3))
    jac = [np.empty((n_frame, n_ext, 3)) for _ in range(3)]
    forward_kinematics_frames(q, *model_arrays(model), rot, origin, *jac)
    if with_jacobian:
        return rot, origin, tuple(jac)
    return rot, origin
