"""Cartilage contact pressure by discrete element analysis (DEA), every frame.

The acetabular cartilage on the lunate surface (horseshoe; the fossa is excluded) is a bed of
compression-only springs normal to the surface, one per mesh triangle; the femoral head is rigid
and shaped like the femur mesh (so a cam that rotates under the cartilage compresses it). Per
frame the head is displaced until the springs balance the hip contact force (Genda et al. 2001,
J Biomech 34:895; Abraham et al. 2013, J Biomech 46:1121; the kernel is
:mod:`hipsim._kernels.dea`, whose docstring has the equations).

Geometry of the layer
---------------------
* element i: an articular triangle of the acetabulum mesh (region ``lunate``, plus the faces of
  the ``rim`` band that still lie on the socket sphere, up to the labrochondral junction); reference point x_i = its centroid
  direction at the mean radius of its corners (on the bone surface: a flat triangle's centroid
  would sit inside a spherical socket by the sagitta and pre-compress the layer); normal n_i =
  the mean of its corners' area-weighted vertex normals (the smooth surface normal), pointing
  into the joint; area A_i.
* the cartilage (thickness h = ``cartilage.thickness_mm``) fills the joint space next to the
  acetabulum; the head's articular surface is the femur surface pushed out radially by
  (socket radius - head radius) - h, so a spherical head in a congruent socket touches the layer
  everywhere without stress. Thicker cartilage than the joint space is refused.

Per-frame outputs: peak pressure, mean pressure over the contact area, contact area (elements in
compression), the force-balance residual, the head displacement and a status (0 ok, 1 not
converged, 2 deformation beyond the cartilage thickness, 3 the cartilage cannot support the
load: the head leaves the socket). Units: mm, N, MPa.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._kernels import dea as _k
from .errors import InputError
from .impingement import build_bvh, face_normals, moved_vertices, refit, refit_changes
from .morphology import ACETABULUM_REGIONS, NATURAL_JUNCTION_DEG, Mesh

STATUS_MEANINGS = {0: "ok", 1: "not_converged", 2: "cartilage_crushed", 3: "no_support"}
#: texels per cube-map face edge of the head's radial table (~1.9 deg)
HEAD_TABLE_SIZE = 48
#: only femur triangles within this many head radii of the centre are ray-cast (rays from the
#: centre leave the bone through the head or the neck, well inside it)
HEAD_REACH = 2.5
#: within this angle [deg] of the neck axis the femur has no articular surface (a ray from the
#: head's centre runs down the neck inside bone)
NECK_CONE_DEG = 40.0
#: the head counts as spherical this far (deg) beyond the femur's spherical-head boundary
SPHERE_MARGIN_DEG = 5.0
#: Newton stops when |residual| <= max(TOL_REL |F|, TOL_ABS)
TOL_REL = 1e-4
TOL_ABS = 1e-3          # N
MAX_ITERATIONS = 60
#: the head is unsupported once it moves this many cartilage thicknesses from the centre
UNSUPPORTED_THICKNESSES = 3.0
#: relative distance from the socket sphere within which a rim face still counts as articular
ARTICULAR_SPHERE_TOLERANCE = 0.01
#: thinnest cartilage [mm] an element gets where the bones come closer (a layer of no thickness
#: would be infinitely stiff)
MIN_THICKNESS_MM = 0.5
#: and the thickest [mm]: where the bones lie farther apart (a fossa-like recess, the flare of
#: the rim) a layer of this thickness does not touch the head in the neutral pose (the widest
#: joint space hipsim accepts, JOINT_SPACE_RANGE_MM of hipsim.bones)
MAX_THICKNESS_MM = 6.0
#: DEA element size on finely meshed sockets [mm] (:func:`cartilage_layer`)
ELEMENT_SIZE_MM = 1.5


def aggregate_modulus(modulus_mpa, poisson_ratio):
    """K = E (1 - nu) / ((1 + nu) (1 - 2 nu)) [MPa], the confined (aggregate) modulus of a thin
    linear-elastic layer bonded to rigid bone: the DEA spring constant per unit area times the
    thickness (Li et al. 1997, Clin Biomech 12:20; Genda et al. 2001)."""
    if not (modulus_mpa > 0):
        raise InputError("cartilage.modulus_mpa", f"must be > 0, got {modulus_mpa}")
    if not (0.0 <= poisson_ratio < 0.5):
        raise InputError("cartilage.poisson_ratio", f"must be in [0, 0.5), got {poisson_ratio}")
    nu = poisson_ratio
    return modulus_mpa * (1.0 - nu) / ((1.0 + nu) * (1.0 - 2.0 * nu))


@dataclass(frozen=True)
class CartilageLayer:
    """The DEA elements. position (n, 3) [mm] pelvis frame; direction (n, 3) unit vectors of
    position; normal (n, 3) unit, into the joint; area (n,) [mm2]; face (k,) the acetabulum faces
    the layer covers and face_element (k,) the element each belongs to; socket_radius_mm:
    area-weighted mean |position|; around: the acetabulum faces sharing a vertex with the layer."""
    position: np.ndarray
    direction: np.ndarray
    normal: np.ndarray
    area: np.ndarray
    face: np.ndarray
    socket_radius_mm: float
    face_element: np.ndarray = None
    around: np.ndarray = None

    @property
    def n_elements(self):
        return len(self.area)


def cartilage_layer(acetabulum, element_mm=ELEMENT_SIZE_MM, like=None):
    """The articular elements of an acetabulum Mesh (region ``lunate`` plus the on-sphere rim
    band): one per face, or, where the faces are finer than ``element_mm`` (a refined real
    socket), one per ``element_mm`` cube of face centroids (area-weighted position and normal,
    summed area), which keeps the element size of the DEA papers whatever the mesh. ``like``: a
    layer of the same triangles whose faces and elements are kept (a new shape of the bones)."""
    v, f = acetabulum.vertices, acetabulum.faces
    if like is not None:
        return _layer_of(v, f, like.face, like.face_element, len(like.area), like.around)
    region = np.asarray(acetabulum.face_region)
    lunate = np.flatnonzero(region == ACETABULUM_REGIONS["lunate"])
    if lunate.size < 10:
        raise InputError(acetabulum.name, "too few lunate (articular) faces for a cartilage layer")
    fn, fa = face_normals(v, f)
    # the cartilage runs to the labrochondral junction: rim faces still on the socket sphere and
    # facing its centre belong to it too (the impingement code calls that band 'rim')
    radius = np.linalg.norm(v[f], axis=2)
    socket = np.median(radius[lunate])
    on_sphere = np.all(np.abs(radius / socket - 1.0) < ARTICULAR_SPHERE_TOLERANCE, axis=1)
    centroid = v[f].mean(axis=1)
    facing = np.einsum("ij,ij->i", fn, -centroid / np.linalg.norm(centroid, axis=1, keepdims=True)) > 0.9
    band = np.flatnonzero((region == ACETABULUM_REGIONS["rim"]) & on_sphere & facing)
    lunate = np.union1d(lunate, band)
    corners = v[f[lunate]]
    edge = np.median(np.linalg.norm(corners[:, 1] - corners[:, 0], axis=1))
    if edge < 0.8 * element_mm:
        cell = np.floor(corners.mean(axis=1) / element_mm).astype(np.int64)
        _, element = np.unique(cell, axis=0, return_inverse=True)
        element = element.ravel()
    else:
        element = np.arange(len(lunate))
    return _layer_of(v, f, lunate, element, int(element.max()) + 1)


def _layer_of(v, f, faces, element, n_el, around=None):
    """The layer of the acetabulum faces ``faces`` grouped into ``element`` (k,) of n_el;
    ``around``: the faces sharing a vertex with them (found when not given); the sums in
    :func:`hipsim._kernels.dea.layer_elements`."""
    if around is None:
        used = np.zeros(len(v), bool)
        used[f[faces].ravel()] = True
        around = np.flatnonzero(used[f].any(axis=1))
    position, normal = np.empty((n_el, 3)), np.empty((n_el, 3))
    area = np.empty(n_el)
    _k.layer_elements(np.ascontiguousarray(v, float), np.ascontiguousarray(f, np.int64),
                      np.ascontiguousarray(faces, np.int64), np.ascontiguousarray(element, np.int64), int(n_el),
                      np.ascontiguousarray(around, np.int64), position, normal, area)
    direction = position / np.linalg.norm(position, axis=1, keepdims=True)
    radius = float(np.sum(np.linalg.norm(position, axis=1) * area) / area.sum())
    return CartilageLayer(position, np.ascontiguousarray(direction), normal, area, np.asarray(faces), radius,
                          np.ascontiguousarray(element), around)


@dataclass(frozen=True)
class HeadShape:
    """The femoral head as the DEA sees it: ``table`` (6, n, n) cube map of the femur's radial
    distance [mm] (femur frame, from the head centre); directions further than
    acos(``sphere_cos``) from ``neck_axis`` are on the sphere of ``sphere_radius_mm`` (no lookup);
    ``offset_mm`` is added to both (femoral articular surface = bone + offset)."""
    table: np.ndarray
    sphere_radius_mm: float
    sphere_cos: float
    neck_axis: np.ndarray
    offset_mm: float
    bvh: object = None
    casts: object = None


@dataclass(frozen=True)
class _Casts:
    """What the next shape's table is updated from: the cast distances ``raw`` (6, n, n) and
    triangle slots ``slot`` (6, n, n) before clipping, and the head tree's ``corners`` (M, 3)
    (each slot's femur vertices)."""
    raw: np.ndarray
    slot: np.ndarray
    corners: np.ndarray


def head_shape(hip_geometry, offset_mm, table_size=HEAD_TABLE_SIZE, bvh=None, moved=None, previous=None):
    """The head shape of a :class:`hipsim.mesh.HipGeometry`: the radial table by ray casting the
    femur mesh from the head centre, never below the head's sphere; the spherical zone from the
    generator's cam onset / natural junction (real bones: none, every direction is looked up).

    The femoral articular surface is the head's sphere, raised where bone stands out of it (a
    cam): the femoral cartilage fills the head's pits (the fovea, the asphericity of a real head)
    and is not modelled on its own, so a spherical head turning in the socket leaves the
    acetabular springs as they were, and only bone beyond the sphere (a cam rotating in)
    compresses them. Bone within ``info['head_band_mm']`` of the sphere (the sphere fit's noise
    on a real head) counts as on it. ``bvh``: the head tree of another shape of the same
    triangles, refitted. ``previous``: the HeadShape of another shape of the same triangles whose
    vertices ``moved`` (V,) flags as changed: its tree is refitted only there and only the rays
    that may meet a moved triangle are cast again (same table as a fresh cast)."""
    femur = hip_geometry.femur
    neck = np.ascontiguousarray(hip_geometry.neck_axis, float)
    skip_cos = math.cos(math.radians(NECK_CONE_DEG))
    casts = None if previous is None or moved is None else previous.casts
    n = int(table_size)
    if casts is not None and casts.raw.shape[1] == n and np.array_equal(previous.neck_axis, neck):
        bvh, dirty, slot_moved = refit_changes(previous.bvh, femur.vertices, femur.faces, moved, casts.corners)
        raw, slot = _k.radial_table_update(n, bvh.bmin, bvh.bmax, bvh.left, bvh.right, bvh.start, bvh.count, bvh.tri,
                                           neck, skip_cos, dirty, slot_moved, casts.raw, casts.slot)
        corners = casts.corners
    else:
        if previous is not None:
            bvh = previous.bvh
        bvh = head_bvh(hip_geometry) if bvh is None else refit(bvh, femur.vertices, femur.faces)
        # down the neck a ray stays in bone: no articular surface there (not cast; the sphere stands in)
        raw, slot = _k.radial_table(n, bvh.bmin, bvh.bmax, bvh.left, bvh.right, bvh.start, bvh.count, bvh.tri,
                                    neck, skip_cos)
        corners = np.ascontiguousarray(femur.faces[bvh.face])
    table = raw
    if not np.isfinite(table).any():
        raise InputError(femur.name, "rays from the head centre meet no bone: is the head centre inside the head?")
    # rays that leave the near part of the bone run down the neck, never under the cartilage
    info = getattr(hip_geometry, "info", {}) or {}
    R, band = float(hip_geometry.head_radius_mm), float(info.get("head_band_mm", 0.0))
    table = np.where(np.isfinite(table), R + np.maximum(table - R - band, 0.0), R)
    generated = "junction_deg" in info
    if generated:
        boundary = max(info.get("cam_onset_deg") or 0.0, info.get("junction_deg", NATURAL_JUNCTION_DEG))
        sphere_cos = math.cos(math.radians(min(boundary + SPHERE_MARGIN_DEG, 180.0)))
    else:
        sphere_cos = -2.0
    return HeadShape(table, float(hip_geometry.head_radius_mm), sphere_cos, neck, float(offset_mm), bvh,
                     _Casts(raw, slot, corners))


def head_bvh(hip_geometry):
    """BVH of the femur triangles within HEAD_REACH head radii of the centre (what the head's
    rays meet)."""
    femur = hip_geometry.femur
    near = (np.linalg.norm(femur.vertices[femur.faces], axis=2) < HEAD_REACH * hip_geometry.head_radius_mm).any(axis=1)
    return build_bvh(femur.vertices, femur.faces, np.flatnonzero(near))


def bone_gap(layer, head):
    """(n_element,) radial distance [mm] from each element to the head's articular surface in
    the neutral pose (head centred, no rotation): the spring length of :mod:`hipsim._kernels.dea`."""
    rho = np.empty(layer.n_elements)
    _k.element_radii(np.eye(3), layer.direction, head.table, head.sphere_radius_mm, head.sphere_cos,
                     np.ascontiguousarray(head.neck_axis, float), head.offset_mm, rho)
    return np.linalg.norm(layer.position, axis=1) - rho


@dataclass(frozen=True)
class PressureResult:
    """Per frame: peak_mpa, mean_mpa (over the contact area), contact_area_mm2, residual_n
    (|sum of spring forces - load|), displacement_mm (n, 3) of the head, iterations, status (see
    STATUS_MEANINGS); pressure_map (n_frame, n_element) [MPa] or None."""
    peak_mpa: np.ndarray
    mean_mpa: np.ndarray
    contact_area_mm2: np.ndarray
    residual_n: np.ndarray
    displacement_mm: np.ndarray
    iterations: np.ndarray
    status: np.ndarray
    pressure_map: object = None


class PressureModel:
    """DEA of one hip geometry and cartilage (built once, then :meth:`solve` per motion).

    Parameters
    ----------
    hip_geometry : hipsim.mesh.HipGeometry
    thickness_mm : the total cartilage thickness [mm]; None (the default for a real hip): the
        cartilage fills the joint space, each element's thickness is the bone-to-bone gap along
        its normal in the neutral pose (clipped to MIN_THICKNESS_MM - MAX_THICKNESS_MM), so the
        layer is unstressed there; a number: a uniform layer, the head's articular surface the femur's bone surface
        pushed out so the mean gap equals it (:func:`head_shape`)
    modulus_mpa, poisson_ratio : the cartilage (``cartilage.*`` of the config)
    """

    def __init__(self, hip_geometry, thickness_mm, modulus_mpa, poisson_ratio, reuse=None):
        same = reuse is not None and _same_faces(reuse, hip_geometry)
        g = hip_geometry
        if same and reuse.vertices[0] is not None and _same(reuse.vertices[0], g.acetabulum.vertices):
            layer = reuse.layer                                    # the same socket
        else:
            layer = cartilage_layer(g.acetabulum, like=reuse.layer if same else None)
        bvh = reuse.head.bvh if same and reuse.head is not None else None
        moved = moved_vertices(g.femur.vertices, reuse.vertices[1]) if bvh is not None else None
        previous = reuse.head if moved is not None else None
        same_head = same and reuse.head is not None and reuse.vertices[1] is not None and \
            _same(reuse.vertices[1], g.femur.vertices) and \
            reuse.head.offset_mm == 0.0 and reuse.head.sphere_radius_mm == float(g.head_radius_mm)
        if thickness_mm is None:
            head = reuse.head if same_head else head_shape(hip_geometry, 0.0, bvh=bvh, moved=moved,
                                                                  previous=previous)
            thickness = np.clip(bone_gap(layer, head), MIN_THICKNESS_MM, MAX_THICKNESS_MM)
            self._set(layer, head, thickness, modulus_mpa, poisson_ratio,
                      (hip_geometry.acetabulum.faces, hip_geometry.femur.faces))
            self.vertices = (hip_geometry.acetabulum.vertices, hip_geometry.femur.vertices)
            return
        head = head_shape(hip_geometry, 0.0, bvh=bvh, moved=moved, previous=previous)
        gap = float(np.min(bone_gap(layer, head)))
        if thickness_mm > gap:
            raise InputError("cartilage.thickness_mm",
                             f"{thickness_mm} mm is thicker than this hip's narrowest joint space ({gap:.2f} mm "
                             "between the femoral head and the acetabular bone): leave it null to fill the joint "
                             "space")
        self._set(layer, head, thickness_mm, modulus_mpa, poisson_ratio,
                  (hip_geometry.acetabulum.faces, hip_geometry.femur.faces))

    @classmethod
    def from_parts(cls, layer, head, thickness_mm, modulus_mpa, poisson_ratio):
        """A model of a prepared :class:`CartilageLayer` and :class:`HeadShape` (tests, custom
        geometries); ``thickness_mm`` a number or (n_element,) array."""
        self = cls.__new__(cls)
        self._set(layer, head, thickness_mm, modulus_mpa, poisson_ratio)
        return self

    def _set(self, layer, head, thickness_mm, modulus_mpa, poisson_ratio, geometry=None):
        h = np.broadcast_to(np.asarray(thickness_mm, float), (layer.n_elements,))
        if not np.all(h > 0):
            raise InputError("cartilage.thickness_mm", f"must be > 0, got {float(np.min(h))}")
        self.stiffness_mpa = aggregate_modulus(modulus_mpa, poisson_ratio)
        self.element_thickness = np.ascontiguousarray(h)
        self.thickness_mm = float(np.sum(h * layer.area) / np.sum(layer.area))
        self.layer, self.head = layer, head
        self.faces = geometry
        self.vertices = (None, None)


    def solve(self, rotations, loads_n, pressure_map=False):
        """Pressure over frames.

        Parameters
        ----------
        rotations : (n, 3, 3) femur -> pelvis rotations (hip angles, :func:`morphology.hip_rotation`)
        loads_n : (n, 3) [N] force of the femoral head on the acetabulum, pelvis frame
        pressure_map : bool, also return the per-element pressures (n, n_element)

        Returns
        -------
        PressureResult
        """
        R = np.ascontiguousarray(rotations, dtype=float)
        F = np.ascontiguousarray(loads_n, dtype=float)
        n = len(R)
        if R.shape != (n, 3, 3) or F.shape != (n, 3):
            raise ValueError("rotations must be (n, 3, 3) and loads (n, 3)")
        if not (np.all(np.isfinite(R)) and np.all(np.isfinite(F))):
            raise ValueError("rotations and loads must be finite")
        L, H = self.layer, self.head
        out = {k: np.empty(n) for k in ("peak", "mean", "area", "residual")}
        disp = np.empty((n, 3))
        status = np.empty(n, np.int8)
        iterations = np.empty(n, np.int64)
        pmap = np.empty((n, L.n_elements)) if pressure_map else np.empty((0, 0))
        _k.solve_frames(R, F, L.position, L.direction, L.normal, L.area, H.table, H.sphere_radius_mm,
                        H.sphere_cos, H.neck_axis, H.offset_mm, self.element_thickness, self.stiffness_mpa,
                        TOL_REL, TOL_ABS, MAX_ITERATIONS, UNSUPPORTED_THICKNESSES * self.thickness_mm,
                        disp, out["peak"], out["mean"], out["area"], out["residual"], status, iterations,
                        pmap)
        return PressureResult(out["peak"], out["mean"], out["area"], out["residual"], disp, iterations,
                              status, pmap if pressure_map else None)


def _same(a, b):
    return a is b or (a.shape == b.shape and np.array_equal(a, b))


def _same_faces(model, hip_geometry):
    """A model of bones with the same triangles (whose layer and head tree can be kept)."""
    faces = getattr(model, "faces", None)
    if faces is None:
        return False
    (af, ff) = faces
    g = hip_geometry
    return af.shape == g.acetabulum.faces.shape and np.array_equal(af, g.acetabulum.faces) and \
        ff.shape == g.femur.faces.shape and np.array_equal(ff, g.femur.faces)


# ----------------------------------------------------------------------------- reference case
def hemispherical_socket(radius_mm, n_polar=60, n_around=160):
    """A hemispherical cup of lunate triangles (pole at -y, opening toward +y, faces toward the
    centre): the reference geometry of the closed-form DEA case (:func:`concentric_solution`)."""
    theta = np.linspace(0.0, np.pi / 2, n_polar + 1)[1:]
    phi = np.linspace(0.0, 2 * np.pi, n_around, endpoint=False)
    rings = radius_mm * np.stack([np.sin(theta)[:, None] * np.cos(phi),
                                  -np.cos(theta)[:, None] * np.ones_like(phi),
                                  np.sin(theta)[:, None] * np.sin(phi)], axis=-1)
    v = np.concatenate([[[0.0, -radius_mm, 0.0]], rings.reshape(-1, 3)])
    idx = 1 + np.arange(rings.shape[0] * n_around).reshape(rings.shape[:2])
    nxt = np.roll(idx, -1, axis=1)
    faces = [np.stack([np.zeros(n_around, np.int64), idx[0], nxt[0]], -1)]
    for k in range(rings.shape[0] - 1):
        faces += [np.stack([idx[k], idx[k + 1], nxt[k + 1]], -1), np.stack([idx[k], nxt[k + 1], nxt[k]], -1)]
    f = np.concatenate(faces)
    t = v[f]
    inward = np.einsum("ij,ij->i", np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]), -t.mean(1)) > 0
    f[~inward] = f[~inward][:, ::-1]
    return Mesh(v, f, np.full(len(f), ACETABULUM_REGIONS["lunate"], np.int8), "hemisphere")


def spherical_head(radius_mm):
    """A perfectly spherical head of the given articular radius (no lookup table)."""
    return HeadShape(np.zeros((6, 2, 2)), float(radius_mm), 2.0, np.array([0.0, -1.0, 0.0]), 0.0)


def concentric_solution(load_n, socket_radius_mm, thickness_mm, modulus_mpa, poisson_ratio):
    """Closed-form DEA of a sphere in a congruent hemispherical socket under a central load F
    (small displacement u, deformation u cos(theta)): F = (K / h) u (2 pi / 3) Rs^2, so
    peak = 3 F / (2 pi Rs^2) [MPa], mean over the contact = peak / 2, contact area 2 pi Rs^2
    [mm2], u = peak h / K [mm]. Returns a dict of these."""
    peak = 3.0 * load_n / (2.0 * math.pi * socket_radius_mm ** 2)
    return {"peak_mpa": peak, "mean_mpa": peak / 2.0, "area_mm2": 2.0 * math.pi * socket_radius_mm ** 2,
            "displacement_mm": peak * thickness_mm / aggregate_modulus(modulus_mpa, poisson_ratio)}
