"""Forward kinematics of the pelvis and right-leg chain (thin wrapper over the numba kernel)."""
import numpy as np

from ._kernels.kinematics import forward_kinematics_frames


def model_arrays(model):
    """The joint and function arrays of ``model`` in the order the kernels take them."""
    return (model.joint_parent_offset, model.joint_child_offset, model.joint_axis, model.joint_func,
            model.func_type, model.func_coord, model.func_param, model.func_spline,
            model.spline_x, model.spline_coef, model.spline_n)


def forward_kinematics(model, q, with_jacobian=False):
    """Body poses in ground for each frame.

    Parameters
    ----------
    model : hipsim.model.Model
    q : (n_frame, n_coord) float
        Coordinates in ``model.coordinate_names`` order [rad, m].
    with_jacobian : bool
        Also return the spatial Jacobian columns ``(w, v, o)``, each (n_frame, n_coord, 3):
        a point p on a body moved by coordinate k has dp/dq_k = w_k × (p - o_k) + v_k.

    Returns
    -------
    rot : (n_frame, n_body, 3, 3) float
    origin : (n_frame, n_body, 3) float [m]
    """
    q = np.ascontiguousarray(q, dtype=float)
    n_frame, n_body, n_coord = q.shape[0], len(model.body_names), model.n_coord
    rot = np.empty((n_frame, n_body, 3, 3))
    origin = np.empty((n_frame, n_body, 3))
    jac = [np.empty((n_frame, n_coord, 3)) for _ in range(3)]
    forward_kinematics_frames(q, *model_arrays(model), rot, origin, *jac)
    if with_jacobian:
        return rot, origin, tuple(jac)
    return rot, origin
