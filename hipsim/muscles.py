"""Muscle paths, moment arms, strength groups and Hill-type force capacity.

Paths and parameters come from the OpenSim model (gait2392 by default: Delp et al. 1990,
doi:10.1109/10.102791; Thelen 2003, doi:10.1115/1.1531112; Millard 2012 muscles of other
models with OpenSim's curves, :mod:`hipsim.millard`).
"""
import numpy as np

from ._kernels.paths import muscle_paths_frames
from .kinematics import extended_coordinates, forward_kinematics

#: Strength group of each model muscle, by name without the side suffix. Groups named under
#: ``strength`` in the config take its multiplier; the rest keep the reference strength.
MUSCLE_GROUPS = {
    "gluteus_maximus": ("glut_max1", "glut_max2", "glut_max3", "glmax1", "glmax2", "glmax3"),
    "gluteus_medius": ("glut_med1", "glut_med2", "glut_med3", "glmed1", "glmed2", "glmed3"),
    "gluteus_minimus": ("glut_min1", "glut_min2", "glut_min3", "glmin1", "glmin2", "glmin3"),
    "iliopsoas": ("iliacus", "psoas"),
    "tensor_fasciae_latae": ("tfl",),
    "rectus_femoris": ("rect_fem", "recfem"),
    "hamstrings": ("semimem", "semiten", "bifemlh", "bifemsh", "bflh", "bfsh"),
    "adductors": ("add_long", "add_brev", "add_mag1", "add_mag2", "add_mag3", "pect", "grac",
                  "addlong", "addbrev", "addmagDist", "addmagIsch", "addmagMid", "addmagProx",
                  "grac"),
    "deep_rotators": ("quad_fem", "gem", "peri", "piri"),
    "sartorius": ("sar", "sart"),
    "vasti": ("vas_med", "vas_int", "vas_lat", "vasmed", "vasint", "vaslat"),
    "plantarflexors": ("med_gas", "lat_gas", "soleus", "tib_post", "flex_dig", "flex_hal",
                       "per_brev", "per_long", "gasmed", "gaslat", "soleus", "tibpost", "fdl",
                       "fhl", "perbrev", "perlong"),
    "dorsiflexors": ("tib_ant", "ext_dig", "ext_hal", "per_tert", "tibant", "edl", "ehl"),
}


def muscle_group(name):
    """Strength group of a muscle name such as ``'glut_med1_r'`` (``'other'`` if unlisted)."""
    base = name[:-2] if name.endswith(("_r", "_l")) else name
    for group, members in MUSCLE_GROUPS.items():
        if base in members:
            return group
    return "other"


def path_arrays(model):
    """The path-point arrays of ``model`` in the order the path kernel takes them."""
    return (model.body_coord_mask, model.path_coordinates, model.muscle_point_start, model.point_body, model.point_location,
            model.point_type, model.point_coord, model.point_range, model.point_func,
            model.func_type, model.func_coord, model.func_param, model.func_spline,
            model.spline_x, model.spline_coef, model.spline_n, model.coordinate_range,
            model.wrap_body, model.wrap_rotation, model.wrap_translation, model.wrap_radius,
            model.wrap_length, model.wrap_axis, model.wrap_sign, model.muscle_wrap_start,
            model.pathwrap_object, model.pathwrap_range, model.dependent_func)


def muscle_geometry(model, q, kinematics=None):
    """Musculotendon lengths, moment arms and hip-crossing directions for each frame.

    Parameters
    ----------
    model : hipsim.model.Model
    q : (n_frame, n_coord) float
        Coordinates in ``model.coordinate_names`` order [rad, m].
    kinematics : tuple, optional
        ``(rot, origin, (w, v, o))`` of ``forward_kinematics(model, q, with_jacobian=True)``
        when the caller already has them.

    Returns
    -------
    length : (n_frame, n_muscle) float [m]
    moment_arm : (n_frame, n_muscle, n_coord) float [m], r = -dL/dq
    hip_direction : (n_frame, n_muscle, 3) float
        Unit direction (pelvis frame) of each muscle's pull on the thigh side of the hip;
        zero rows for muscles that do not cross the hip.
    """
    q = np.ascontiguousarray(q, dtype=float)
    rot, origin, jac = kinematics or forward_kinematics(model, q, with_jacobian=True)
    q = extended_coordinates(model, q)
    n_frame = q.shape[0]
    length = np.empty((n_frame, model.n_muscle))
    moment_arm = np.empty((n_frame, model.n_muscle, model.n_ext))
    hip_direction = np.empty((n_frame, model.n_muscle, 3))
    muscle_paths_frames(q, rot, origin, *jac, *path_arrays(model), length, moment_arm, hip_direction)
    if model.n_dependent:
        moment_arm = np.ascontiguousarray(moment_arm[:, :, :model.n_coord])
    return length, moment_arm, hip_direction


def muscle_lengths_and_moment_arms(model, q):
    """Musculotendon lengths (n_frame, n_muscle) [m] and moment arms (n_frame, n_muscle, n_coord) [m]."""
    length, moment_arm, _ = muscle_geometry(model, q)
    return length, moment_arm


def strength_multipliers(model, strength):
    """Per-muscle multiplier of maximum isometric force from the ``strength`` config section,
    (n_muscle,) float; groups without a config key keep 1."""
    values = strength.model_dump() if hasattr(strength, "model_dump") else dict(strength)
    return np.array([values.get(muscle_group(n), 1.0) for n in model.muscle_names])


def force_capacity(params, length, velocity, max_force, physiology=True):
    """Tendon force per unit activation (rigid tendon) and passive tendon force.

    Fibre length from the rigid-tendon, constant-thickness pennation model (Zajac 1989,
    Crit Rev Biomed Eng 17:359): l_M = sqrt((l_opt sin a0)^2 + (l_MT - l_TS)^2), cos a =
    (l_MT - l_TS) / l_M; l = l_M / l_opt. Fibre velocity v = dl_MT/dt cos a over
    (max_contraction_velocity * l_opt), as both OpenSim muscle models normalise it.
    active = F_max f_L(l) f_V(v) cos a, passive = F_max f_PE(l) cos a.

    Thelen2003Muscle (and DeGrooteFregly2016Muscle) columns, Thelen (2003) J Biomech Eng 125:70,
    doi:10.1115/1.1531112: f_L = ``exp(-(l - 1)^2 / KshapeActive)``, f_PE =
    ``(exp(KshapePassive (l - 1) / FmaxMuscleStrain) - 1) / (exp(KshapePassive) - 1)`` for
    l > 1; f_V is Hill's hyperbola for shortening, ``(1 + v) / (1 - v / Af)``, and for
    lengthening ``Flen - (Flen - 1) / (1 + k v)`` with k = (1 + 1/Af) / (Flen - 1) so the slope
    is continuous at v = 0.

    Millard2012EquilibriumMuscle columns (``params.millard``; RajagopalLaiUhlrich2023,
    Rajagopal2016): OpenSim 4.x's quintic-Bezier ActiveForceLengthCurve, ForceVelocityCurve,
    FiberForceLengthCurve and TendonForceLengthCurve of each muscle (:mod:`hipsim.millard`;
    Millard et al. 2013, J Biomech Eng 135:021005, doi:10.1115/1.4023390), including calibrated
    passive curves. The active capacity keeps the rigid tendon above, as OpenSim's
    StaticOptimization does for every muscle (StaticOptimizationTarget::prepareToOptimize:
    ``calcInextensibleTendonActiveFiberForce(s, 1.0)``). The passive force of a muscle with an
    elastic tendon (``ignore_tendon_compliance`` false) is the tendon force of the relaxed
    muscle in static fibre-tendon equilibrium (:meth:`hipsim.millard.MillardCurves.
    passive_equilibrium`; zero where the musculotendon is slack): with a rigid tendon the whole
    stretch would go into the fibre, which for long-tendon muscles and passive curves that
    start below optimal length gives far too much passive force. Muscles with
    ``ignore_tendon_compliance`` true keep F_max f_PE(l) cos a. Fibre damping is not modelled
    (it vanishes at zero fibre velocity).

    Parameters
    ----------
    params : hipsim.model.MuscleParameters
    length, velocity : (n_frame, n_muscle) float
        Musculotendon length [m] and lengthening velocity [m/s].
    max_force : (n_muscle,) float
        Maximum isometric force after strength multipliers [N].
    physiology : bool
        False gives the ideal force generator (active = max_force, passive = 0).

    Returns
    -------
    active : (n_frame, n_muscle) float [N per unit activation], along the tendon
    passive : (n_frame, n_muscle) float [N], along the tendon
    """
    if not physiology:
        return np.broadcast_to(max_force, length.shape).copy(), np.zeros_like(length)
    l_opt = params.optimal_fiber_length
    width = l_opt * np.sin(params.pennation_at_optimal)
    along = np.maximum(length - params.tendon_slack_length, 1e-6)
    fibre = np.sqrt(width ** 2 + along ** 2)
    cos_pennation = along / fibre
    norm_length = fibre / l_opt
    v = velocity * cos_pennation / (params.max_contraction_velocity * l_opt)
    active_fl, passive_fl, fv = _thelen_curves(params, norm_length, v)
    millard = params.millard
    if millard is not None:
        cols = millard.index
        for curve, values in zip((active_fl, passive_fl, fv), millard(norm_length[:, cols], v[:, cols])):
            curve[:, cols] = values
    active = max_force * active_fl * fv * cos_pennation
    passive = max_force * passive_fl * cos_pennation
    if millard is not None and millard.compliant_tendon.any():
        cols = millard.index[millard.compliant_tendon]
        tendon_force, _ = millard.passive_equilibrium(
            length[:, millard.index], *(getattr(params, a)[millard.index] for a in _PENNATION_PARAMETERS))
        passive[:, cols] = max_force[cols] * tendon_force[:, millard.compliant_tendon]
    return active, passive


#: MuscleParameters fields of the fibre-tendon geometry, in MillardCurves.passive_equilibrium's
#: argument order.
_PENNATION_PARAMETERS = ("optimal_fiber_length", "tendon_slack_length", "pennation_at_optimal")


def _thelen_curves(params, norm_length, v):
    """Thelen (2003) active force-length, passive force-length and force-velocity multipliers
    (see :func:`force_capacity`) of normalised fibre length and velocity, (n_frame, n_muscle)
    each."""
    active_fl = np.exp(-((norm_length - 1.0) ** 2) / params.fl_shape)
    stretch = np.maximum(norm_length - 1.0, 0.0)
    passive_fl = (np.exp(params.passive_shape * stretch / params.passive_strain_at_fmax) - 1.0) \
        / (np.exp(params.passive_shape) - 1.0)
    af, flen = params.fv_af, params.fv_flen
    shortening = np.clip((1.0 + v) / (1.0 - v / af), 0.0, 1.0)
    k = (1.0 + 1.0 / af) / (flen - 1.0)
    lengthening = flen - (flen - 1.0) / (1.0 + k * np.maximum(v, 0.0))
    fv = np.where(v < 0.0, shortening, lengthening)
    return active_fl, passive_fl, fv
