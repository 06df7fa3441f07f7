"""What an animation shows, frame by frame, as plain arrays (no rendering here; see
:mod:`hipsim.animate`).

Everything is in the pelvis frame, in mm, with the origin at the hip joint centre (the frame of
the parametric acetabulum): x anterior, y superior, z lateral (right hip).

* context bones: for the real bones (the atlas or a patient's) the rest of their pelvis (left hip
  bone, sacrum) and the femur's shaft; for the parametric hip gait2392's low-resolution pelvis,
  sacrum and femur surfaces (shipped in ``hipsim/data/geometry``), scaled like the model; the
  femur moves with the hip angles;
* the high-resolution joint of the configured morphology (femur moving, right hip bone fixed);
* hip-crossing muscles as polylines through their fixed and conditional path points (wrapping
  surfaces are not drawn), with their activation;
* the hip contact force (force of the head on the acetabulum) [BW];
* the rim clearance: distance from each rim point to the nearest femoral head-neck, neck or
  trochanter vertex (an approximation for colouring; the exact minimum is the run's
  ``impingement_clearance``), and the rim point where the run's closest approach lies;
* the cartilage pressure of each DEA element (the acetabulum faces it sits on).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import numpy as np

from .errors import InputError
from .gait import G
from .mesh import FEMUR_REGIONS
from .model import POINT_MOVING

#: context bone meshes shipped with the package: file -> body
CONTEXT_BONES = {"pelvis.vtp": "pelvis", "l_pelvis.vtp": "pelvis", "sacrum.vtp": "pelvis", "femur_r.vtp": "femur_r"}
HIP_MUSCLE_GROUPS = ("gluteus_medius", "gluteus_minimus", "gluteus_maximus", "iliopsoas", "hamstrings",
                     "adductors", "rectus_femoris", "tensor_fasciae_latae", "deep_rotators", "sartorius",
                     "gracilis")


@dataclass(frozen=True)
class Scene:
    """Arrays of one animation (n frames; see the module docstring for frames and units)."""
    phase: np.ndarray                 # (n,) [%]
    femur_rotation: np.ndarray        # (n, 3, 3) femur -> pelvis
    context_pelvis: list              # [(vertices (k, 3), faces (m, 3))]
    context_femur: tuple              # (vertices (k, 3) femur frame, faces (m, 3))
    femur: object                     # Mesh, femur frame
    cam_height: np.ndarray            # (k,) [mm] bone a cam adds beyond the head's sphere (cam_height())
    acetabulum: object                # Mesh, pelvis frame
    muscle_names: list
    muscle_points: list               # per muscle (n, k_i, 3)
    activation: np.ndarray            # (n, n_muscle)
    contact_force_bw: np.ndarray      # (n, 3)
    rim_points: np.ndarray            # (r, 3)
    rim_clock: np.ndarray             # (r,) [h] clock position of each rim point (12 superior, 3 anterior)
    rim_clearance: np.ndarray         # (n, r) [mm]
    clearance: np.ndarray             # (n,) [mm], the run's exact minimum
    spot: np.ndarray                  # (n,) index into rim_points of the closest approach
    cartilage_faces: np.ndarray       # (e,) acetabulum faces under the cartilage
    pressure: np.ndarray              # (n, e) [MPa] on each of those faces (its DEA element's)
    peak_pressure: np.ndarray         # (n,) [MPa]
    title: str


@functools.lru_cache(maxsize=None)
def read_context_bone(name):
    """(vertices (k, 3) [m], faces (m, 3)) of a shipped gait2392 bone surface (VTK XML PolyData)."""
    import pyvista as pv
    with resources.as_file(resources.files("hipsim") / "data" / "geometry" / name) as path:
        mesh = pv.read(path).triangulate().clean()
    return np.asarray(mesh.points, float), np.asarray(mesh.regular_faces, np.int64)


def _hip_centre(model, rot, origin):
    """Hip joint centre in the pelvis frame [m] (the femur body's origin), from frame 0."""
    p, f = model.body_names.index("pelvis"), model.body_names.index("femur_r")
    return rot[0, p].T @ (origin[0, f] - origin[0, p])


def _muscle_polylines(model, muscles, rot, origin, hip_centre):
    """(n, k, 3) [mm] pelvis-frame path of each listed muscle through its non-moving points."""
    p = model.body_names.index("pelvis")
    out = []
    for m in muscles:
        idx = [i for i in range(model.muscle_point_start[m], model.muscle_point_start[m + 1])
               if model.point_type[i] != POINT_MOVING]
        bodies, local = model.point_body[idx], model.point_location[idx]
        ground = np.einsum("fkij,kj->fki", rot[:, bodies], local) + origin[:, bodies]
        pelvis = np.einsum("fji,fkj->fki", rot[:, p], ground - origin[:, p][:, None])
        out.append(1000.0 * (pelvis - hip_centre))
    return out


def _rim_clearance(geometry, rotations):
    """(n, r) distance [mm] from each rim point to the nearest femoral non-articular vertex (one
    tree in the femur frame; the rim points are taken into it frame by frame)."""
    from scipy.spatial import cKDTree

    from .impingement import FEMUR_NON_ARTICULAR
    femur = geometry.femur
    faces = femur.faces[np.isin(femur.face_region, FEMUR_NON_ARTICULAR)]
    vertices = femur.vertices[np.unique(faces)]
    tree = cKDTree(vertices)
    rim_in_femur = np.einsum("fji,rj->fri", np.asarray(rotations), geometry.rim_points)   # R^T p
    return tree.query(rim_in_femur.reshape(-1, 3))[0].reshape(rim_in_femur.shape[:2])


def nearest_clock(rim_clock, clock_h):
    """(n,) index of the rim point whose clock position [h] is nearest each of ``clock_h`` (n,),
    going round the clock face."""
    gap = np.abs((np.asarray(rim_clock)[None, :] - np.asarray(clock_h)[:, None] + 6.0) % 12.0 - 6.0)
    return np.argmin(gap, axis=1)


def build_scene(config, run):
    """The :class:`Scene` of a pipeline run (``run``: :class:`hipsim.pipeline.Pipeline` of
    ``config`` with ``cartilage.pressure_map`` on)."""
    from .muscles import muscle_group
    from .pipeline import hip_geometry, pressure_model
    if run.pressure.pressure_map is None:
        raise ValueError("the run needs cartilage.pressure_map: true")
    model, trial = run.model, run.trial
    rot, origin = run.dynamics.kinematics[0], run.dynamics.kinematics[1]
    geometry = hip_geometry(config.morphology)
    hip_centre = _hip_centre(model, rot, origin)
    scale = float(np.linalg.norm(hip_centre)) / float(np.linalg.norm(_hip_centre(*_generic_pose())))
    context_pelvis, context_femur = [], None
    if geometry.info.get("anatomical"):
        # the real bones: the rest of the pelvis around the right hip bone, the femur's shaft
        from .hip_models import hip_of
        context_pelvis = [(np.asarray(v, float), np.asarray(f)) for v, f in hip_of(config.morphology).bones.context.values()]
        shaft = geometry.femur.face_region == FEMUR_REGIONS["shaft"]
        context_femur = (geometry.femur.vertices, geometry.femur.faces[shaft])
    else:
        for name, body in CONTEXT_BONES.items():
            v, f = read_context_bone(name)
            if body == "pelvis":
                context_pelvis.append((1000.0 * (scale * v - hip_centre), f))
            else:
                context_femur = (1000.0 * scale * v, f)
    muscles = [i for i, n in enumerate(model.muscle_names) if muscle_group(n) in HIP_MUSCLE_GROUPS]
    rim = _rim_clearance(geometry, run.rotations)
    layer = pressure_model(config.morphology, config.cartilage).layer
    bw = config.subject.mass_kg * G
    return Scene(
        phase=np.asarray(trial.gait_phase), femur_rotation=np.asarray(run.rotations),
        context_pelvis=context_pelvis, context_femur=context_femur,
        femur=geometry.femur, acetabulum=geometry.acetabulum,
        cam_height=cam_height(geometry, hip_geometry(config.morphology.model_copy(update={"alpha_angle_deg": None}))),
        muscle_names=[model.muscle_names[i] for i in muscles],
        muscle_points=_muscle_polylines(model, muscles, rot, origin, hip_centre),
        activation=np.asarray(run.solution.activation)[:, muscles],
        contact_force_bw=np.asarray(run.contact_force) / bw,
        rim_points=geometry.rim_points, rim_clock=np.asarray(geometry.rim_clock, float), rim_clearance=rim,
        clearance=np.asarray(run.impingement.clearance_mm),
        spot=nearest_clock(geometry.rim_clock, run.impingement.clock_h), cartilage_faces=layer.face,
        pressure=np.asarray(run.pressure.pressure_map)[:, layer.face_element],
        peak_pressure=np.asarray(run.pressure.peak_mpa),
        title=shape_title(config))


def cam_height(geometry, own=None):
    """Height of the bone a cam adds beyond the femoral head's sphere [mm] at each femur vertex,
    shape (k,): on the head-neck junction between the head centre and one radius down the neck
    axis, how far the surface lies outside both the sphere and, given the same bones without the
    configured alpha angle (``own``, the same triangles), their own surface there; zero
    elsewhere. The atlas femur's own junction rises a little above the sphere (alpha ~53 deg):
    measured against it, a normal hip shows no cam."""
    v = np.asarray(geometry.femur.vertices, float)
    axis = np.asarray(geometry.neck_axis, float)
    axis = axis / np.linalg.norm(axis)
    radius = float(geometry.head_radius_mm)
    faces = np.asarray(geometry.femur.faces)
    junction = np.zeros(len(v), bool)
    junction[faces[np.asarray(geometry.femur.face_region) == FEMUR_REGIONS["head_neck_junction"]].ravel()] = True
    along = v @ axis
    floor = np.full(len(v), radius)
    if own is not None and own.femur.vertices.shape == v.shape:
        floor = np.maximum(floor, np.linalg.norm(own.femur.vertices, axis=1))
    height = np.linalg.norm(v, axis=1) - floor
    return np.where(junction & (along > 0.0) & (along < radius), np.maximum(height, 0.0), 0.0)


def shape_title(config):
    """'<activity>, alpha A deg, LCEA L deg' with the hip's measured alpha angle (at the cam's
    clock) and LCEA."""
    from .hip_models import measured_morphology
    m = measured_morphology(config.morphology)
    return f"{config.activity.kind}, alpha {m['alpha_angle_deg']:.0f} deg, LCEA {m['lce_angle_deg']:.0f} deg"


@functools.lru_cache(maxsize=1)
def _generic_pose():
    """(model, rot, origin) of the unscaled gait2392 model at its default pose (the context
    meshes' own size)."""
    from .kinematics import forward_kinematics
    from .model import load_model
    model = load_model()
    rot, origin = forward_kinematics(model, np.zeros((1, model.n_coord)))
    return model, rot, origin


def load_source(config_or_result, with_result=False, overrides=None):
    """The Config of a config (path, dict or Config) or of a run result file (its stored
    config), with ``overrides`` (``--set`` strings or a dict, as :func:`hipsim.config.load_config`
    takes them) on top; with ``with_result`` also the result Dataset (None for a config, and
    with overrides: that is a new run). InputError for anything else."""
    from pathlib import Path

    from .config import Config, load_config
    stored = None
    if isinstance(config_or_result, (str, bytes)) or hasattr(config_or_result, "__fspath__"):
        path = Path(config_or_result)
        if path.suffix.lower() in (".nc", ".nc4", ".netcdf"):
            import yaml

            from .plots import result_kind
            from .sweep_store import open_result
            stored = open_result(path)
            if result_kind(stored) != "run":
                raise InputError(str(path), "takes a run result (or a config), not a sweep or rom result")
            try:
                config = load_config(yaml.safe_load(stored.attrs["config"]))
            except (KeyError, yaml.YAMLError):
                raise InputError(str(path), "the result carries no readable config")
        elif path.suffix.lower() in (".yaml", ".yml"):
            config = load_config(path)
        else:
            raise InputError(str(path), "expected a YAML config or a run result (.nc)")
    else:
        config = config_or_result if isinstance(config_or_result, Config) else load_config(config_or_result)
    if overrides:
        config, stored = load_config(config, overrides=overrides), None
    return (config, stored) if with_result else config


def scene_for(config_or_result, overrides=None):
    """A Scene from a config (path, dict or Config) or from a run result file (its stored config
    is re-run; the numbers must match the file's), with ``overrides`` (``--set`` strings or a
    dict, as :func:`hipsim.config.load_config` takes them) on top. InputError for anything else."""
    from .pipeline import result_values, run_pipeline
    config, stored = load_source(config_or_result, with_result=True, overrides=overrides)
    config = config.model_copy(update={"cartilage.pressure_map": True})
    run = run_pipeline(config)
    if stored is not None:
        again = result_values(config, run)["hip_contact_force"]
        if again.shape != stored["hip_contact_force"].shape or not np.allclose(again, stored["hip_contact_force"].values,
                                                                               rtol=1e-6, atol=1e-9):
            raise InputError("RESULT", "re-running its stored config does not give its numbers (made by another "
                                       "hipsim version or edited); animate the config instead")
    return build_scene(config, run)
