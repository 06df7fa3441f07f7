"""The pipeline for one config: model -> trial -> inverse dynamics -> muscle geometry ->
static optimization -> hip contact force -> Dataset."""
import functools
import json
import warnings
from dataclasses import dataclass

import numpy as np

from . import hip_models
from .config import Config, load_config
from .errors import InputWarning
from .contact import hip_contact_force
from .dynamics import inverse_dynamics
from .flexibility import tight_flexor_model, with_anterior_tilt
from .form import (with_cadence_change, with_cop_on_the_foot, with_core_strength, with_overstride,
                   with_pelvic_rotation_scale, with_step_width)
from .gait import G, file_trial, library_trial
from .loads import neck_section, tissue_loads
from .motions import faber_trial, fadir_trial, squat_trial, uphill
from .model import (ACTUATED_COORDINATES, BUILTIN_MODELS, DEFAULT_MODEL_HEIGHT_M, DEFAULT_MODEL_NAME, load_model,
                    scaled, whole_body_mass)
from .muscles import force_capacity, muscle_geometry, muscle_group, strength_multipliers
from .optimize import STATUS_MEANINGS, StaticOptimization, static_optimization
from .pressure import STATUS_MEANINGS as PRESSURE_STATUS
from .variables import create_dataset

HIP_DOFS = ("flexion", "adduction", "internal_rotation")
DISTAL_DOFS = ("knee_extension", "ankle_dorsiflexion")
AXES = ("anterior", "superior", "lateral")
PELVIS_DOFS = ("tilt", "obliquity", "rotation")


def model_name(config):
    """The shipped model a config runs on: ``model.name``, or the activity's default."""
    return config.model.name or DEFAULT_MODEL_NAME.get(config.activity.kind, "gait2392")


def build_model(config):
    """The subject's model: a shipped model (``model.name``, :data:`hipsim.model.BUILTIN_MODELS`)
    scaled uniformly to the subject's height and mass, or the user's ``model.osim_file`` as it
    is."""
    if config.model.osim_file:
        return load_model(config.model.osim_file)
    path, height = BUILTIN_MODELS[model_name(config)]
    return scaled(load_model(path), config.subject.height_m / height,
                  config.subject.mass_kg / whole_body_mass(path))


def _gait(config, model, length_scale):
    a = config.activity
    trial = library_trial(a.kind, a.speed_m_s, a.frames, config.subject.mass_kg * G, length_scale, a.trial)
    return uphill(trial, a.incline_deg)


#: How each activity kind becomes a trial (a user's motion file overrides all of them).
TRIAL_BUILDERS = {
    "walking": _gait,
    "running": _gait,
    "sprinting": _gait,
    "fadir": lambda config, model, length_scale: fadir_trial(config.activity.fadir, config.activity.frames,
                                                             *_hip_axes(config)),
    "faber": lambda config, model, length_scale: faber_trial(config.activity.faber, config.activity.frames,
                                                             *_hip_axes(config)),
    "squat": lambda config, model, length_scale: squat_trial(
        config.activity.squat, config.activity.frames, config.subject.mass_kg * G, model),
}


#: activities that are passive exams: the examiner moves the relaxed leg and holds its weight
PASSIVE_EXAMS = ("fadir", "faber")


def _hip_axes(config):
    """(pelvis_axes, femur_axes) of the configured bones: the exams' clinical angles are measured
    against them."""
    hip = hip_models.hip_of(config.morphology)
    return hip.P, hip.F


#: travel speeds [m/s] outside which a user trial's measured speed is probably not over-ground
#: travel (a treadmill, a wrong pelvis_tx column): per-km measures would be far off
PLAUSIBLE_SPEED_M_S = {"walking": (0.4, 2.6), "running": (1.5, 7.5), "sprinting": (5.0, 12.5)}


def build_trial(config, length_scale, model=None):
    """The cycle the config asks for: a user trial, the gait library or a prescribed motion."""
    activity = config.activity
    if activity.motion_file:
        trial = file_trial(activity.motion_file, activity.grf_file, activity.frames, activity.filter_hz,
                           activity.speed_m_s, activity.external_loads, activity.time_range,
                           (activity.c3d_right_plates or (), [(r.axis, r.deg) for r in activity.c3d_rotation_deg]),
                           activity.leg)
        low, high = PLAUSIBLE_SPEED_M_S.get(activity.kind, (0.0, float("inf")))
        if activity.speed_m_s is None and not low <= trial.speed <= high:
            warnings.warn(InputWarning(
                f"activity.motion_file: the pelvis travels at {trial.speed:.2f} m/s, not plausible for "
                f"{activity.kind} over ground ({low:g}-{high:g} m/s); a treadmill trial needs "
                "activity.speed_m_s (the belt speed) for per-km measures"), stacklevel=2)
        return trial
    return TRIAL_BUILDERS[activity.kind](config, model, length_scale)


def hip_geometry(morphology):
    """The shape of the hip a ``Morphology`` section asks for (:mod:`hipsim.hip_models`)."""
    return hip_models.hip_geometry(morphology)


def clearance_model(morphology):
    """The impingement query structure of a morphology, built once per process and morphology."""
    return hip_models.clearance_model(morphology)


def pressure_model(morphology, cartilage):
    """The cartilage DEA model of a morphology and cartilage, built once per process."""
    return hip_models.pressure_model(morphology, cartilage)


#: config sections that fix the motion (model, trial, inverse dynamics, muscle geometry); a sweep
#: point that changes none of them reuses its process's cached motion stage
MOTION_SECTIONS = ("subject", "model", "activity", "form", "flexibility")


@dataclass(frozen=True)
class Motion:
    """The strength-, morphology- and solver-independent stages of a run (read-only arrays)."""
    model: object
    trial: object
    dynamics: object
    length: np.ndarray
    moment_arm: np.ndarray
    hip_direction: np.ndarray
    rotations: np.ndarray        # (n_frame, 3, 3) femur -> pelvis


@dataclass(frozen=True)
class Pipeline(Motion):
    """Every stage of one run: the :class:`Motion` and what strength, solver, morphology and
    cartilage make of it (for tests, benchmarks and later capabilities)."""
    active: np.ndarray = None
    passive: np.ndarray = None
    capacity: np.ndarray = None
    demand: np.ndarray = None
    solution: object = None
    muscle_force: np.ndarray = None
    contact_force: np.ndarray = None
    impingement: object = None
    pressure: object = None
    loads: dict = None
    examiner_moment: np.ndarray = None    # (n_frame, n_dof) [N m], passive exams only


def motion_key(config):
    """JSON of every config value the motion stage depends on (the sections above and the core
    strength, which sets the pelvis motion)."""
    tree = config.to_dict()
    key = {name: tree[name] for name in MOTION_SECTIONS}
    key["strength"] = {"core": tree["strength"]["core"]}
    # the exams' clinical angles go through the bones' anatomical frames
    key["morphology"] = {k: tree["morphology"][k] for k in ("femur_mesh", "acetabulum_mesh")}
    return json.dumps(key, sort_keys=True)


def _read_only(*arrays):
    for a in arrays:
        if isinstance(a, np.ndarray):
            a.flags.writeable = False


@functools.lru_cache(maxsize=8)
def _motion(key):
    config = Config.model_validate_json(key)
    tightness = config.flexibility.hip_flexor_tightness_deg
    model = tight_flexor_model(build_model(config), tightness)
    length_scale = 1.0 if config.model.osim_file else config.subject.height_m / DEFAULT_MODEL_HEIGHT_M
    trial = with_cop_on_the_foot(build_trial(config, length_scale, model), model)
    trial = with_cadence_change(trial, config.subject.mass_kg, config.subject.height_m,
                                config.form.cadence_change_pct)
    trial = with_overstride(trial, config.subject.height_m, config.form.overstride_m)
    trial = with_step_width(trial, model, config.form.step_width_m)
    trial = with_anterior_tilt(trial, tightness)
    trial = with_pelvic_rotation_scale(trial, config.form.pelvic_rotation_scale)
    trial = with_core_strength(trial, config.strength.core)
    dynamics = inverse_dynamics(model, trial)
    length, moment_arm, hip_direction = muscle_geometry(model, dynamics.q, dynamics.kinematics)
    from .morphology import hip_rotation
    hip = model.coordinate_index(ACTUATED_COORDINATES[:3])
    rotations = hip_rotation(np.rad2deg(dynamics.q[:, hip]))
    for stage in (trial, dynamics):
        _read_only(*vars(stage).values())
    _read_only(length, moment_arm, hip_direction, rotations)
    return Motion(model, trial, dynamics, length, moment_arm, hip_direction, rotations)


def motion(config):
    """The motion stage of ``config``, computed once per process for each distinct
    :func:`motion_key` (a strength, morphology, cartilage or solver change reuses it)."""
    return _motion(motion_key(config))


@functools.lru_cache(maxsize=8)
def _clearance(key, morphology):
    """The clearance of a motion (its :func:`motion_key`) on a hip shape: the same for every
    strength, cartilage or solver setting, so a strength sweep queries each shape once."""
    result = clearance_model(morphology).query(_motion(key).rotations)
    _read_only(*vars(result).values())
    return result


@functools.lru_cache(maxsize=8)
def _neck(morphology):
    """The narrowest neck section of a hip shape (:func:`hipsim.loads.neck_section`)."""
    return neck_section(hip_geometry(morphology))


def muscle_problem(model, dynamics, geometry, strength, physiology):
    """The static-optimization problem of each frame.

    ``geometry`` is (length, moment_arm, hip_direction) of ``muscle_geometry``. Returns active,
    passive (see ``force_capacity``), capacity (n_frame, n_dof, n_muscle) [N m] and demand
    (n_frame, n_dof) [N m].
    """
    length, moment_arm, _ = geometry
    velocity = -np.einsum("fmk,fk->fm", moment_arm, dynamics.qdot)
    max_force = model.muscles.max_isometric_force * strength_multipliers(model, strength)
    active, passive = force_capacity(model.muscles, length, velocity, max_force, physiology)
    act = model.coordinate_index(ACTUATED_COORDINATES)
    arms = moment_arm[:, :, act]                               # (n_frame, n_muscle, n_dof)
    capacity = np.ascontiguousarray(np.transpose(arms * active[:, :, None], (0, 2, 1)))
    demand = dynamics.generalized_force[:, act] - np.einsum("fmk,fm->fk", arms, passive)
    return active, passive, capacity, demand


def passive_exam(capacity, demand):
    """The muscle solution of a passive exam: no activation, every frame converged, and the
    moment (n_frame, n_dof) [N m] the examiner supplies: the moment the motion needs beyond what
    the passive muscles give (``demand`` is the net moment minus the passive muscles')."""
    n_frame, n_dof, n_muscle = capacity.shape
    solution = StaticOptimization(np.zeros((n_frame, n_muscle)), np.zeros((n_frame, n_dof)),
                                  np.zeros(n_frame, np.int64), np.zeros(n_frame, np.int64))
    return solution, np.asarray(demand, float).copy()


def run_pipeline(config):
    """All stages for one config; returns a :class:`Pipeline`. The motion stage and the bone and
    cartilage models come from per-process caches (see :func:`motion`, :func:`clearance_model`)."""
    if not isinstance(config, Config):
        config = load_config(config)
    key = motion_key(config)
    m = _motion(key)
    model, trial, dynamics = m.model, m.trial, m.dynamics
    geometry = (m.length, m.moment_arm, m.hip_direction)
    active, passive, capacity, demand = muscle_problem(model, dynamics, geometry, config.strength,
                                                       config.solver.muscle_physiology)
    s = config.solver
    if config.activity.kind in PASSIVE_EXAMS:
        solution, examiner = passive_exam(capacity, demand)
        muscle_force = passive.copy()
        # the examiner holds the leg: the hip carries the muscles' pull and nothing of its weight
        contact = hip_contact_force(np.zeros_like(dynamics.hip_force), muscle_force, m.hip_direction)
    else:
        solution = static_optimization(capacity, demand, s.activation_exponent, s.reserve_optimal_moment_nm,
                                       s.reserve_flag_nm, s.max_iterations, s.tolerance,
                                       min_activation=s.min_activation)
        examiner = None
        muscle_force = solution.activation * active + passive
        contact = hip_contact_force(dynamics.hip_force, muscle_force, m.hip_direction)
    clearance = _clearance(key, config.morphology)
    pressure = pressure_model(config.morphology, config.cartilage).solve(
        m.rotations, contact, pressure_map=config.cartilage.pressure_map)
    loads = tissue_loads(model, trial, dynamics.kinematics, muscle_force, contact, m.rotations,
                         hip_geometry(config.morphology), config.subject.mass_kg * G, _neck(config.morphology))
    return Pipeline(**vars(m), active=active, passive=passive, capacity=capacity, demand=demand,
                    solution=solution, muscle_force=muscle_force, contact_force=contact,
                    impingement=clearance, pressure=pressure, loads=loads, examiner_moment=examiner)


def result_values(config, run):
    """The result variables of a :class:`Pipeline` run: name -> array in the units and dims of
    :data:`hipsim.variables.VARIABLES`."""
    model, trial, dyn = run.model, run.trial, run.dynamics
    mass = config.subject.mass_kg
    body_weight = mass * G
    idx = model.coordinate_index
    hip = idx(ACTUATED_COORDINATES[:3])
    distal = idx(ACTUATED_COORDINATES[3:])
    pelvis = dyn.q[:, idx(("pelvis_tilt", "pelvis_list", "pelvis_rotation"))]
    hcf = run.contact_force / body_weight
    values = {
        "hip_contact_force": hcf,
        "hip_contact_force_resultant": np.linalg.norm(hcf, axis=1),
        "hip_angle": np.rad2deg(dyn.q[:, hip]),
        "pelvis_angle": np.rad2deg(pelvis) * np.array([-1.0, 1.0, 1.0]),
        "hip_moment": dyn.generalized_force[:, hip] / mass,
        "knee_ankle_moment": dyn.generalized_force[:, distal] / mass,
        "grf": trial.grf / body_weight,
        "stance": trial.grf[:, 1] > 0.0,
        "muscle_force": run.muscle_force,
        "muscle_activation": run.solution.activation,
        "reserve_moment": run.solution.reserve[:, :3],
        "reserve_moment_distal": run.solution.reserve[:, 3:],
        "solver_status": run.solution.status.astype(np.int8),
        "impingement_clearance": run.impingement.clearance_mm,
        "impingement_clock": run.impingement.clock_h,
        "impingement_overlap_area": run.impingement.overlap_area_mm2,
        "contact_pressure_peak": run.pressure.peak_mpa,
        "contact_pressure_mean": run.pressure.mean_mpa,
        "contact_area": run.pressure.contact_area_mm2,
        "contact_pressure_status": run.pressure.status,
        "tendon_force": run.loads["tendon_force"],
        "trochanteric_compression": run.loads["trochanteric_compression"],
        "femoral_neck_stress": run.loads["femoral_neck_stress"],
        "cumulative_load_per_km": np.float64(run.loads["cumulative_load_per_km"]),
    }
    if run.examiner_moment is not None:
        values["examiner_moment"] = run.examiner_moment[:, :3]
    if run.pressure.pressure_map is not None:
        values["contact_pressure"] = run.pressure.pressure_map
        values["cartilage_element_position"] = pressure_model(config.morphology, config.cartilage).layer.position
    return values


def result_coords(config, run):
    """The coordinates of a run's Dataset (frame, gait_phase, time and the label dimensions)."""
    model, trial = run.model, run.trial
    coords = {
        "frame": np.arange(len(trial.time)),
        "gait_phase": ("frame", trial.gait_phase, {"units": "%", "long_name": "percent of the gait cycle"}),
        "time": ("frame", trial.time, {"units": "s", "long_name": "time from right foot strike"}),
        "axis": list(AXES), "lab_axis": list(AXES), "dof": list(HIP_DOFS), "distal_dof": list(DISTAL_DOFS),
        "pelvis_dof": list(PELVIS_DOFS), "muscle": list(model.muscle_names),
        "tendon_group": run.loads["tendon_group"], "site": ["superior", "inferior"],
        "muscle_group": ("muscle", [muscle_group(n) for n in model.muscle_names]),
    }
    if run.pressure.pressure_map is not None:
        coords["element"] = np.arange(run.pressure.pressure_map.shape[1])
    return coords


def hip_attrs(morphology):
    """Dataset attrs of the simulated hip: its bones and its shape as measured (``hip_<key>``,
    degrees and mm, :func:`hipsim.hip_models.measured_morphology`)."""
    hip = hip_models.hip_of(morphology)
    out = {"hip_bones": f"femur: {hip.bones.info.get('femur_source')}; pelvis: {hip.bones.info.get('pelvis_source')}"}
    out.update({f"hip_{k}": float(v) for k, v in hip_models.measured_morphology(morphology).items()})
    return out


def run_attrs(config, run):
    """The attrs of a run's Dataset that describe the trial (beside version, conventions, config)."""
    return {**hip_attrs(config.morphology),
        "activity": config.activity.kind, "speed_m_s": float(run.trial.speed),
        "stride_time_s": float(run.trial.stride_time), "trial_source": run.trial.source,
        "model_source": str(run.model.source).split("/")[-1],
        # 1 BW of every BW-valued variable (the model file's mass when one is given)
        "body_mass_kg": float(config.subject.mass_kg), "body_weight_n": float(config.subject.mass_kg * G),
        "failed_frames": int(np.count_nonzero(run.solution.status)),
        "pressure_failed_frames": int(np.count_nonzero(run.pressure.status)),
    }


#: status variables and the meanings of their values (flag_values / flag_meanings attrs)
STATUS_VARIABLES = {"solver_status": STATUS_MEANINGS, "contact_pressure_status": PRESSURE_STATUS}


def flag_attrs(name):
    """CF ``flag_values`` / ``flag_meanings`` attrs of a status variable."""
    meanings = STATUS_VARIABLES[name]
    return {"flag_values": np.array(sorted(meanings), dtype=np.int8),
            "flag_meanings": " ".join(meanings[k] for k in sorted(meanings))}


def to_dataset(config, run):
    """The result Dataset of a :class:`Pipeline` run."""
    ds = create_dataset(result_values(config, run), result_coords(config, run), config.to_yaml(),
                        run_attrs(config, run))
    for name in STATUS_VARIABLES:
        ds[name].attrs.update(flag_attrs(name))
    return ds.set_xindex("muscle_group")      # ds.sel(muscle_group="gluteus_medius")


def simulate(config):
    """Run one cycle; returns the result ``xarray.Dataset``."""
    if not isinstance(config, Config):
        config = load_config(config)
    return to_dataset(config, run_pipeline(config))
