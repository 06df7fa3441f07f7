"""Inverse dynamics of the right leg: net joint moments and the intersegmental hip force."""
from dataclasses import dataclass

import numpy as np

from ._kernels.dynamics import newton_euler_frames
from .errors import InputError
from .kinematics import extended_coordinates, forward_kinematics

#: Half-width of the central difference for segment accelerations [s]; the coordinates are
#: cubic splines, so this only needs to be small against the stride.
TIME_STEP = 1e-4


@dataclass(frozen=True)
class InverseDynamics:
    """Per-frame results of :func:`inverse_dynamics`.

    Attributes
    ----------
    q, qdot : (n_frame, n_coord) float [rad, m; rad/s, m/s]
    generalized_force : (n_frame, n_coord) float [N m or N], net internal load per coordinate
    hip_force : (n_frame, 3) float [N], force the pelvis applies to the thigh across the hip
        (joint plus muscles), in the pelvis frame
    pelvis_rotation : (n_frame, 3, 3) float, pelvis orientation in ground
    cop_ground : (n_frame, 3) float [m], centre of pressure in ground
    kinematics : ``(rot, origin, (w, v, o))`` of the frames, as ``forward_kinematics`` returns
    """

    q: np.ndarray
    qdot: np.ndarray
    generalized_force: np.ndarray
    hip_force: np.ndarray
    pelvis_rotation: np.ndarray
    cop_ground: np.ndarray
    kinematics: tuple


#: Coordinates whose sign convention differs between model families: gait2392 and Hamner
#: measure knee flexion negative (range about -120..10 deg), the Rajagopal models positive
#: (0..140 deg).
SIGN_CONVENTION_COORDINATES = ("knee_angle_r",)


def _flexion_sign(lo, hi):
    """+1 if a range is mostly positive, -1 if mostly negative."""
    return 1.0 if lo + hi >= 0.0 else -1.0


def trial_coordinates(model, trial, times, nu=0):
    """The trial's coordinates (or rates) at ``times`` in the model's coordinate order.

    The knee's sign follows the model: a trial whose knee angle is negative over the cycle on
    average (the gait2392 convention of the built-in library) driving a model whose knee range
    is positive (Rajagopal), or the reverse, has it negated. Over a gait cycle the knee is
    flexed throughout, so the sign of the cycle mean identifies the convention.
    """
    values = trial.coordinates(times, nu)
    out = np.zeros((len(times), model.n_coord))
    for j, name in enumerate(model.coordinate_names):
        if name not in trial.coordinate_names:
            raise InputError(model.source, f"model coordinate {name!r} is not in the motion")
        out[:, j] = values[:, trial.coordinate_names.index(name)]
        if name in SIGN_CONVENTION_COORDINATES:
            cycle = trial.coordinates(trial.time, 0)[:, trial.coordinate_names.index(name)]
            if _flexion_sign(*model.coordinate_range[j]) * np.mean(cycle) < 0.0:
                out[:, j] = -out[:, j]
    return out


def inverse_dynamics(model, trial):
    """Newton-Euler inverse dynamics of the leg over a trial.

    Parameters
    ----------
    model : hipsim.model.Model
    trial : hipsim.gait.Trial

    Returns
    -------
    InverseDynamics
    """
    t = trial.time
    n = len(t)
    samples = np.concatenate([t - TIME_STEP, t, t + TIME_STEP])
    q_all = trial_coordinates(model, trial, samples)
    qd_all = trial_coordinates(model, trial, samples, nu=1)
    rot, origin, (jw, jv, jo) = forward_kinematics(model, q_all, with_jacobian=True)
    # Branch bodies (the patella) carry no mass in the recursion: they are light (86 g in
    # Rajagopal's model) and the kernel's recursion runs down the chain only. Dependent
    # coordinates therefore get zero generalized force and are dropped.
    nb = model.n_chain
    qd_ext = extended_coordinates(model, q_all, qd_all)[1]

    def per_frame(x):  # (3 n, ...) -> (n, 3, ...)
        return np.ascontiguousarray(np.swapaxes(x.reshape((3, n) + x.shape[1:]), 0, 1))

    rot_f, origin_f = per_frame(rot), per_frame(origin)
    now = slice(n, 2 * n)
    joint_center = origin[now] + np.einsum("fbij,bj->fbi", rot[now], model.joint_child_offset[:, :3, 3])
    calcn = model.body_names.index("calcn_r")
    cop = np.ascontiguousarray(trial.cop, dtype=float)
    if trial.cop_frame != "ground":
        b = model.body_names.index(trial.cop_frame)
        cop = origin[now, b] + np.einsum("fij,fj->fi", rot[now, b], cop)
    joint_force = np.zeros((n, nb, 3))
    joint_moment = np.zeros_like(joint_force)
    gen_force = np.zeros((n, model.n_ext))
    if nb < len(model.body_names):
        rot_f = np.ascontiguousarray(rot_f[:, :, :nb])
        origin_f = np.ascontiguousarray(origin_f[:, :, :nb])
        joint_center = joint_center[:, :nb]
    newton_euler_frames(rot_f, origin_f, per_frame(jw), per_frame(jv), per_frame(jo), per_frame(qd_ext),
                        TIME_STEP, np.ascontiguousarray(joint_center),
                        np.ascontiguousarray(model.body_coord_mask[:nb]),
                        model.body_mass[:nb], model.body_com[:nb], model.body_inertia[:nb],
                        model.gravity, calcn,
                        np.ascontiguousarray(trial.grf, dtype=float), cop,
                        np.ascontiguousarray(trial.free_moment, dtype=float), joint_force, joint_moment,
                        gen_force)
    gen_force = gen_force[:, :model.n_coord]
    pelvis_rot = rot[now, 0]
    femur = model.body_names.index("femur_r")
    hip_force = np.einsum("fji,fj->fi", pelvis_rot, joint_force[:, femur])
    kinematics = (rot[now], origin[now], (jw[now], jv[now], jo[now]))
    return InverseDynamics(q=q_all[now], qdot=qd_all[now], generalized_force=gen_force,
                           hip_force=hip_force, pelvis_rotation=pelvis_rot, cop_ground=cop,
                           kinematics=kinematics)
