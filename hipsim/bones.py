"""The bones of the simulated hip: the shipped atlas (the default) or a patient's meshes, placed
in the model's pelvis and femur frames by their landmarks, articulated, refined where contact is
decided and labelled by region.

Placement
---------
A whole pelvis and a whole right femur get their anatomical frames from :mod:`hipsim.landmarks`
(the anterior pelvic plane; the femur's mechanical and posterior condylar axes). The model's body
frames sit at a fixed rotation from those frames, found by the same functions on the model's own
bone surfaces (``tools/build_atlas.py``; gait2392's pelvis frame is the anterior pelvic plane
tilted 16.2 deg anteriorly, its femur frame the anatomical one within 0.2 deg). So each bone is
rotated from its anatomical frame into the model frame, the right hip bone translated so the
acetabular sphere's centre is the origin, and the femur so its head sphere's centre is: the
femoral head is centred in the acetabulum (a ball joint) and moves exactly as the model's hip
angles say. A mesh that is only part of a bone (an acetabulum, a proximal femur) has no such
landmarks: it must already be in hipsim's frames, and is only centred on its articular sphere.

Joint space
-----------
The gap between the two spheres is the cartilage space. Where it is below JOINT_SPACE_RANGE_MM
the socket is reamed to the head's radius plus DEFAULT_JOINT_SPACE_MM: bone nearer the centre is
pushed out to that sphere along its ray, bone beyond it (the rim, the outer surfaces) stays
(:func:`ream_socket`). The atlas needs it: averaging 26 hips left its mean acetabulum's dome
smaller than its mean femoral head (socket sphere 21.6 mm, head 22.85 mm) while its rim flares to
26 mm. A socket wider than the range is shrunk to that sphere, its surroundings moved radially
(fully within SOCKET_RESIZE_INNER_MM of the centre, blended to nothing at SOCKET_RESIZE_OUTER_MM;
angles from the centre, and so the coverage, unchanged).

Refinement and regions
----------------------
Near the head centre (femur) and the hip centre (pelvis) every edge longer than REFINE_EDGE_MM
is split (:mod:`hipsim.mesh_refine`), so contact is decided on 1 mm triangles. The right hip
bone's faces are labelled: ``lunate`` (the articular horseshoe: faces facing the socket's centre
from its sphere out to the flare of the rim, the largest connected patch), ``fossa`` (the deep
part of the socket recessed behind the sphere), ``rim`` (other faces within RIM_BAND_MM of the
sphere), ``outer`` (the rest) (:func:`label_pelvis`).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from importlib import resources
from typing import Dict

import numpy as np

from .errors import InputError
from .landmarks import (SOCKET_RADIUS_RANGE_MM, HEAD_RADIUS_RANGE_MM,
                        connected_components, femur_landmarks, pelvis_landmarks, sphere_by_normals,
                        submesh, vertex_normals)
from .mesh_refine import refine_near
from .morphology import ACETABULUM_REGIONS

#: joint space of the default hip [mm]: the mean acetabular plus femoral cartilage thickness of
#: LibHip's 22 CT hips (1.46 + 1.65 mm; Moshfeghifar et al. 2022, MorphoData)
DEFAULT_JOINT_SPACE_MM = 3.1
#: a gap between the articular spheres outside this range [mm] is resized (module docstring)
JOINT_SPACE_RANGE_MM = (1.0, 6.0)
SOCKET_RESIZE_INNER_MM = 32.0
#: softness [mm] of the reaming of a socket tighter than the head (:func:`ream_socket`)
SOCKET_REAM_SOFTNESS_MM = 0.6
SOCKET_RESIZE_OUTER_MM = 52.0
#: longest edge [mm] where contact is decided, and how far from the joint centre it is enforced
REFINE_EDGE_MM = 1.0
FEMUR_REFINE_RADIUS_MM = 40.0
PELVIS_REFINE_RADIUS_MM = 50.0
#: faces within this distance [mm] of the socket sphere that are neither lunate nor fossa: rim
RIM_BAND_MM = 5.0
#: articular faces lie within this distance [mm] of the socket sphere (and face its centre)
LUNATE_BAND_MM = 1.5
#: the socket's faces face its centre within this distance [mm] beyond its sphere (the widest
#: joint space hipsim accepts: the flare of the rim up to its crest is articular)
ARTICULAR_GAP_MM = 6.0
#: recessed socket faces further than this [deg] from the opening are the fossa, not the flare
FOSSA_POLAR_DEG = 115.0


@dataclass(frozen=True)
class Bones:
    """The two bones of the hip in the model frames [mm].

    femur_vertices (n, 3), femur_faces (m, 3): the whole right femur, model femur frame, origin
        at the head centre
    pelvis_vertices (k, 3), pelvis_faces (l, 3): the right hip bone, model pelvis frame, origin
        at the acetabular (= head) centre
    pelvis_region (l,) int8: ACETABULUM_REGIONS of each pelvis face
    head_radius_mm, socket_radius_mm: the articular spheres (the socket after any resizing)
    pelvis_axes (3, 3): rows = anatomical anterior, superior, right axes in the model pelvis frame
    femur_axes (3, 3): rows = anatomical anterior, superior, lateral axes in the model femur frame
    landmarks: name -> (3,) in the frame of its bone (``pelvis.*`` / ``femur.*``)
    context: name -> (vertices, faces) of other bones in the pelvis frame (left hip bone, sacrum)
    info: how the bones were made (sources, fits, resizing)
    """
    femur_vertices: np.ndarray
    femur_faces: np.ndarray
    pelvis_vertices: np.ndarray
    pelvis_faces: np.ndarray
    pelvis_region: np.ndarray
    head_radius_mm: float
    socket_radius_mm: float
    pelvis_axes: np.ndarray
    femur_axes: np.ndarray
    landmarks: Dict[str, np.ndarray] = field(default_factory=dict)
    context: Dict[str, tuple] = field(default_factory=dict)
    info: Dict[str, object] = field(default_factory=dict)

    # --- disk cache (plain arrays only)
    def to_arrays(self):
        out = {k: np.asarray(getattr(self, k)) for k in (
            "femur_vertices", "femur_faces", "pelvis_vertices", "pelvis_faces", "pelvis_region",
            "head_radius_mm", "socket_radius_mm", "pelvis_axes", "femur_axes")}
        out.update({f"landmark.{k}": v for k, v in self.landmarks.items()})
        for k, (v, f) in self.context.items():
            out[f"context.{k}.vertices"], out[f"context.{k}.faces"] = v, f
        for k, v in self.info.items():
            out[f"info.{k}"] = np.asarray(v)
        return out

    @classmethod
    def from_arrays(cls, a):
        plain = {k: a[k] for k in ("femur_vertices", "femur_faces", "pelvis_vertices", "pelvis_faces",
                                   "pelvis_region", "pelvis_axes", "femur_axes")}
        context = {}
        for k in a:
            if k.startswith("context.") and k.endswith(".vertices"):
                name = k[len("context."):-len(".vertices")]
                context[name] = (a[k], a[f"context.{name}.faces"])
        return cls(**plain, head_radius_mm=float(a["head_radius_mm"]),
                   socket_radius_mm=float(a["socket_radius_mm"]),
                   landmarks={k[9:]: a[k] for k in a if k.startswith("landmark.")}, context=context,
                   info={k[5:]: a[k].item() if a[k].ndim == 0 else a[k] for k in a if k.startswith("info.")})


# ----------------------------------------------------------------------------- atlas files
def _atlas(name):
    with resources.as_file(resources.files("hipsim") / "data" / "geometry" / "atlas" / f"{name}.npz") as path:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}


def atlas_mesh(name):
    """(vertices (n, 3) float64 [mm], faces (m, 3) int64) of a shipped atlas bone in its own
    coordinates: ``pelvis``, ``femur_r``, ``tibia_fibula_r``, ``patella_r``."""
    data = _atlas(name)
    return data["vertices"].astype(np.float64), data["faces"].astype(np.int64)


def model_frames():
    """(pelvis_axes, femur_axes): the anatomical axes in gait2392's pelvis and femur frames
    (rows; ``tools/build_atlas.py``)."""
    data = _atlas("model_frames")
    return data["pelvis_axes"], data["femur_axes"]


def atlas_digest():
    """SHA-256 of the shipped atlas files (part of the disk-cache key of the default bones)."""
    h = hashlib.sha256()
    for name in ("pelvis", "femur_r", "model_frames"):
        with resources.as_file(resources.files("hipsim") / "data" / "geometry" / "atlas" / f"{name}.npz") as path:
            h.update(path.read_bytes())
    return h.hexdigest()


# ----------------------------------------------------------------------------- placement
def _read_patient(path, kind):
    from .meshio import read_mesh
    mesh = read_mesh(path, name=kind)
    from .meshio import check_closed
    check_closed(mesh, path)
    v = mesh.vertices
    diag = float(np.linalg.norm(v.max(axis=0) - v.min(axis=0)))
    if diag < 1.0:                                # metres
        v = v * 1000.0
    if mesh.volume() <= 0:
        raise InputError(str(path), "the mesh's triangles face inward (negative volume)")
    return v, mesh.faces


def _is_whole(vertices, kind):
    """A whole pelvis (wide) or a whole femur (long), rather than a part of one."""
    extent = np.ptp(vertices, axis=0)
    return float(np.max(extent)) > (180.0 if kind == "pelvis" else 250.0)


def place_pelvis(vertices, faces, name="pelvis"):
    """The right hip bone of a pelvis mesh in the model pelvis frame, origin at the acetabular
    centre: (vertices, faces, socket Sphere (its centre moved to the origin), pelvis_axes,
    landmarks dict, context dict, PelvisLandmarks or None)."""
    model_pelvis, _ = model_frames()
    if _is_whole(vertices, "pelvis"):
        lm = pelvis_landmarks(vertices, faces, name)
        to_model = model_pelvis.T @ lm.axes                # anatomical coords -> model coords
        c = lm.acetabulum.centre
        rv, rf, _ = submesh(vertices, faces, lm.right_vertices)
        place = lambda p: (p - c) @ to_model.T       # noqa: E731
        context = {}
        labels, count = connected_components(faces, len(vertices))
        for k in range(count):
            members = labels == k
            if members.sum() < 0.02 * len(vertices) or (members & lm.right_vertices).any():
                continue
            cv, cf, _ = submesh(vertices, faces, members)
            side = ((cv.mean(axis=0) - lm.origin) @ lm.axes[2])
            context["sacrum" if abs(side) < 30.0 else "hip_bone_left"] = (place(cv), cf)
        landmarks = {"asis_right": place(lm.asis_right), "asis_left": place(lm.asis_left),
                     "pubis": place(lm.pubis), "app_origin": place(lm.origin)}
        sphere = lm.acetabulum
        return place(rv), rf, sphere, model_pelvis, landmarks, context, lm
    sphere = sphere_by_normals(vertices, vertex_normals(vertices, faces), True, SOCKET_RADIUS_RANGE_MM, name=name)
    return vertices - sphere.centre, np.asarray(faces), sphere, model_pelvis, {}, {}, None


def place_femur(vertices, faces, name="femur"):
    """A right femur mesh in the model femur frame, origin at the head centre: (vertices, faces,
    head Sphere, femur_axes, landmarks dict, FemurLandmarks or None)."""
    _, model_femur = model_frames()
    if _is_whole(vertices, "femur"):
        lm = femur_landmarks(vertices, faces, name)
        to_model = model_femur.T @ lm.axes
        c = lm.head.centre
        place = lambda p: (p - c) @ to_model.T       # noqa: E731
        landmarks = {k: place(getattr(lm, k)) for k in ("knee_centre", "epicondyle_lateral",
                                                         "epicondyle_medial", "condyle_lateral",
                                                         "condyle_medial")}
        landmarks.update({k: to_model @ getattr(lm, k) for k in ("neck_axis", "shaft_axis")})
        return place(vertices), np.asarray(faces), lm.head, model_femur, landmarks, lm
    sphere = sphere_by_normals(vertices, vertex_normals(vertices, faces), False, HEAD_RADIUS_RANGE_MM, name=name)
    return vertices - sphere.centre, np.asarray(faces), sphere, model_femur, {}, None


def resize_socket(vertices, socket_radius, target_radius):
    """Pelvis vertices (origin at the socket centre) moved radially so the socket's radius is
    ``target_radius``: by the full difference within SOCKET_RESIZE_INNER_MM of the centre,
    blended (smoothstep) to none at SOCKET_RESIZE_OUTER_MM."""
    r = np.linalg.norm(vertices, axis=1)
    x = np.clip((SOCKET_RESIZE_OUTER_MM - r) / (SOCKET_RESIZE_OUTER_MM - SOCKET_RESIZE_INNER_MM), 0.0, 1.0)
    weight = x * x * (3.0 - 2.0 * x)
    delta = target_radius - socket_radius
    return vertices * (1.0 + delta * weight / np.maximum(r, 1e-9))[:, None]


def ream_socket(vertices, target_radius, softness_mm=None):
    """Pelvis vertices (origin at the socket centre) whose distance from the centre is below
    ``target_radius`` pushed out to it along their ray: r -> target + s log(1 + exp((r - target)
    / s)), a smooth maximum (s = SOCKET_REAM_SOFTNESS_MM) that is the identity a few s beyond the
    target and keeps the order of points along every ray, so no surface crosses another. Bone
    already farther than that - the rim's flare and lip, the outer surfaces - stays where it is."""
    s = SOCKET_REAM_SOFTNESS_MM if softness_mm is None else softness_mm
    r = np.linalg.norm(vertices, axis=1)
    new = target_radius + s * np.logaddexp(0.0, (r - target_radius) / s)
    return vertices * (new / np.maximum(r, 1e-9))[:, None]


def label_pelvis(vertices, faces, socket_radius):
    """ACETABULUM_REGIONS of each face of a hip bone whose socket sphere is centred at the origin
    (module docstring): faces facing the centre within ARTICULAR_GAP_MM of the sphere are the
    socket; its part deeper than the sphere by LUNATE_BAND_MM and more than FOSSA_POLAR_DEG from
    the opening is the fossa, the rest (the dome and the rim's flare up to the crest) the lunate
    (its largest connected patch)."""
    v = np.asarray(vertices)
    tri = v[faces]
    centroid = tri.mean(axis=1)
    dist = np.linalg.norm(centroid, axis=1)
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-30)
    direction = centroid / np.maximum(dist, 1e-12)[:, None]
    facing = -np.einsum("ij,ij->i", normal, direction) > 0.7
    region = np.full(len(faces), ACETABULUM_REGIONS["outer"], np.int8)
    region[dist < socket_radius + RIM_BAND_MM] = ACETABULUM_REGIONS["rim"]
    dome = _largest_patch(faces, facing & (np.abs(dist - socket_radius) < LUNATE_BAND_MM), len(v))
    if not dome.any():
        return region
    opening = -direction[dome].mean(axis=0)
    opening /= np.linalg.norm(opening)
    polar = np.degrees(np.arccos(np.clip(direction @ opening, -1.0, 1.0)))
    socket = facing & (dist > socket_radius - LUNATE_BAND_MM) & (dist < socket_radius + ARTICULAR_GAP_MM)
    fossa = socket & (dist >= socket_radius + LUNATE_BAND_MM) & (polar > FOSSA_POLAR_DEG)
    lunate = _largest_patch(faces, socket & ~fossa, len(v))
    region[fossa] = ACETABULUM_REGIONS["fossa"]
    region[lunate] = ACETABULUM_REGIONS["lunate"]
    return region


def _largest_patch(faces, mask, n_vertices):
    """The faces of ``mask`` in its largest edge-connected patch."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return mask
    labels, count = connected_components(faces[idx], n_vertices)
    face_label = labels[faces[idx, 0]]
    sizes = np.bincount(face_label, minlength=count)
    out = np.zeros(len(faces), bool)
    out[idx[face_label == np.argmax(sizes)]] = True
    return out


def _morton(points, bits=10):
    """(n,) Z-order codes of points (n, 3) quantised to ``bits`` per axis within their box."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    q = ((points - lo) / np.maximum(hi - lo, 1e-12) * (2 ** bits - 1)).astype(np.int64)
    code = np.zeros(len(points), np.int64)
    for b in range(bits):
        for k in range(3):
            code |= ((q[:, k] >> b) & 1) << (3 * b + k)
    return code


def spatial_order(vertices, faces):
    """The same mesh with its faces in Z order of their centroids and its vertices numbered by
    first use: neighbours in space are neighbours in memory, so the trees' refits after a new
    shape read the vertices nearly in sequence instead of at random (3x faster on the
    120,000-triangle pelvis)."""
    faces = faces[np.argsort(_morton(vertices[faces].mean(axis=1)), kind="stable")]
    first = np.full(len(vertices), len(faces) * 3, np.int64)
    np.minimum.at(first, faces.ravel(), np.arange(faces.size))
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(vertices), np.int64)
    rank[order] = np.arange(len(vertices))
    return vertices[order], rank[faces]


def build_bones(femur_path=None, pelvis_path=None):
    """The :class:`Bones` of the atlas (paths None) or of a patient's femur / pelvis meshes."""
    if pelvis_path:
        pv_, pf_ = _read_patient(pelvis_path, "acetabulum")
        pelvis_name = str(pelvis_path)
    else:
        pv_, pf_ = atlas_mesh("pelvis")
        pelvis_name = "atlas pelvis"
    if femur_path:
        fv_, ff_ = _read_patient(femur_path, "femur")
        femur_name = str(femur_path)
    else:
        fv_, ff_ = atlas_mesh("femur_r")
        femur_name = "atlas femur"
    pv, pf, socket, pelvis_axes, p_landmarks, context, _ = place_pelvis(pv_, pf_, pelvis_name)
    fv, ff, head, femur_axes, f_landmarks, _ = place_femur(fv_, ff_, femur_name)
    gap = socket.radius - head.radius
    socket_radius = socket.radius
    if gap < JOINT_SPACE_RANGE_MM[0]:
        socket_radius = head.radius + DEFAULT_JOINT_SPACE_MM
        pv = ream_socket(pv, socket_radius)
    elif gap > JOINT_SPACE_RANGE_MM[1]:
        socket_radius = head.radius + DEFAULT_JOINT_SPACE_MM
        pv = resize_socket(pv, socket.radius, socket_radius)
    fv, ff = refine_near(fv, ff, np.zeros(3), FEMUR_REFINE_RADIUS_MM, REFINE_EDGE_MM)
    pv, pf = refine_near(pv, pf, np.zeros(3), PELVIS_REFINE_RADIUS_MM, REFINE_EDGE_MM)
    fv, ff = spatial_order(fv, ff)
    pv, pf = spatial_order(pv, pf)
    region = label_pelvis(pv, pf, socket_radius)
    if not (region == ACETABULUM_REGIONS["lunate"]).any():
        raise InputError(pelvis_name, "no articular (lunate) surface found on the acetabular sphere")
    landmarks = {f"pelvis.{k}": v for k, v in p_landmarks.items()}
    landmarks.update({f"femur.{k}": v for k, v in f_landmarks.items()})
    info = {"femur_source": femur_name, "pelvis_source": pelvis_name,
            "head_fit_radius_mm": head.radius, "head_fit_rms_mm": head.rms_mm,
            "socket_fit_radius_mm": socket.radius, "socket_fit_rms_mm": socket.rms_mm,
            "fitted_joint_space_mm": gap, "socket_resized_mm": socket_radius - socket.radius}
    return Bones(np.ascontiguousarray(fv), np.ascontiguousarray(ff), np.ascontiguousarray(pv),
                 np.ascontiguousarray(pf), region, float(head.radius), float(socket_radius),
                 np.asarray(pelvis_axes, float), np.asarray(femur_axes, float), landmarks, context, info)
