"""Real hips whose shape the config changes: the bones of :mod:`hipsim.bones` (the atlas or a
patient's) deformed smoothly and locally by the ``morphology.*`` keys, with fixed topology (the
vertices move, the triangles stay), and measured back with :mod:`hipsim.measure`.

Deformations (all are maps of space applied to the vertices and the rim polyline; femur frame
with the head centre at the origin, neck axis n, the femur's anatomical axes for the clock;
pelvis frame with the acetabular centre at the origin, acetabular axis a)
-----------------------------------------------------------------------------------------------
``head_neck_offset_mm``
    The neck's anterior outline at its waist moves toward or away from the neck axis:
    displacement perpendicular to n, CAM-like clock window about 3 o'clock (half-width
    OFFSET_HALF_WIDTH_H) and a plateau along n over the measuring window.
``alpha_angle_deg`` (with ``cam_clock``)
    A cam: head-neck points move out along their ray from the head centre by
    w(clock) B(beta) fade(s): w a cos^2 window of CAM_HALF_WIDTH_H hours about ``cam_clock``;
    B = H (1 - exp(-CAM_CURVATURE R x^2 / H)), x = onset - beta [rad] >= 0 for points nearer the
    neck than the onset polar angle beta from n; height H = R max(CAM_MIN_RATIO,
    CAM_MAX_RATIO (onset - 40) / 45) (the shape of the parametric cam); faded out along n between
    0.7 R and 1.45 R. The onset is solved (a measured table, inverted) so the measured alpha angle
    at ``cam_clock`` is the request.
``neck_shaft_angle_deg``, ``femoral_version_deg``
    The head and neck turn as one about a pivot on the neck axis NECK_PIVOT_RATIO R from the
    head centre (about the normal of the neck-shaft plane, and about the mechanical axis), blended
    to the shaft over NECK_BLEND_RATIO R along n and away from the neck's line (so the greater
    trochanter stays); the femur is then moved so the head centre is the origin again.
``lce_angle_deg``, ``cranial_version_deg``
    The rim zone turns toward (extension) or away from (trimming) the acetabular axis about the
    centre, by angles with clock windows: (1 + cos(clock)) / 2 for the lateral cover (LCEA), a
    cos^2 window about RIM_CRANIAL_CLOCK_H for the anterosuperior rim (cranial version: its
    extension is the focal anterior over-cover of a retroverted socket, the crossover); beyond
    DEEP_SOCKET_LCEA_DEG the extra cover is added all around (global pincer, coxa profunda). Full
    turn up to RIM_ZONE_INSIDE_DEG inside the rim, none RIM_ZONE_FADE_DEG further into the socket;
    full within RIM_ZONE_NEAR_MM of the socket sphere, none RIM_ZONE_FAR_MM out. Points on the
    socket sphere stay on it.
``acetabular_version_deg``
    The socket and its surroundings turn about the anatomical superior axis through the centre,
    fully within SOCKET_TURN_NEAR_MM of the socket sphere, blended to nothing at
    SOCKET_TURN_FAR_MM.
``head_radius_mm``
    Both bones scale about the hip centre (the hip's size; every angle is unchanged).

Angles are solved against the measurement, so they round-trip; each solve uses a table of the
measured value over the deformation's parameter, built once per hip (and per cam clock).
"""
from __future__ import annotations

import functools
import time

import numpy as np

from ._kernels import morph as _morph
from .bones import Bones
from .errors import InputError
from .impingement import moved_vertices
from .landmarks import HEAD_RADIUS_RANGE_MM, neck_axis_of, sphere_by_normals, vertex_normals
from .measure import (measure_acetabular_version, measure_alpha_angle, measure_cranial_version,
                      measure_femoral_version, measure_head_neck_offset, measure_lcea_rim,
                      measure_neck_shaft_angle)
from .mesh import (ACETABULUM_REGIONS, FEMUR_REGIONS, HipGeometry, Mesh, _unit, clock_direction,
                   clock_position, plane_section, ray_hits_2d)

CAM_HALF_WIDTH_H = 2.5
CAM_CURVATURE = 8.0
CAM_MAX_RATIO = 0.15
CAM_MIN_RATIO = 0.075
CAM_ONSET_RANGE_DEG = (30.0, 118.0)
OFFSET_HALF_WIDTH_H = 3.0
NECK_PIVOT_RATIO = 1.9
NECK_BLEND_RATIO = 0.45
NECK_RADIUS_RATIO = 1.05            # points within this x R of the neck's line turn fully ...
NECK_RADIUS_FADE_RATIO = 0.45       # ... and none beyond this much further
DEEP_SOCKET_LCEA_DEG = 39.0
RIM_CRANIAL_CLOCK_H = 1.5
RIM_CRANIAL_HALF_WIDTH_H = 2.0
RIM_ZONE_INSIDE_DEG = 10.0
RIM_ZONE_FADE_DEG = 45.0
RIM_ZONE_NEAR_MM = 12.0
RIM_ZONE_FAR_MM = 45.0
RIM_TABLE_SIZE = 720                # samples of the rim's polar angle around the clock
SOCKET_TURN_NEAR_MM = 10.0
SOCKET_TURN_FAR_MM = 35.0
#: the rim is the first bone within this distance [mm] beyond the socket sphere (rays sweeping
#: from the acetabular axis outward; the ilium beyond it is not rim)
RIM_BEYOND_SOCKET_MM = 15.0
#: femur vertices farther than this [mm] from the head centre are never query points (shaft)
REACH_MM = 80.0
#: the head's dome: farther than this [deg] from the neck axis the femur is articular head
DOME_DEG = 100.0
#: on-sphere tolerance of the articular head [mm] (also >= 2.5 x the head fit's RMS)
HEAD_BAND_MM = 0.6
#: the fossa is marked geometrically when the socket's recessed part is smaller than this
#: fraction of it: a cap of FOSSA_HALF_ANGLE_DEG centred FOSSA_CENTRE_DEG from the opening
#: axis toward 6 o'clock (the notch), as in the parametric socket
MIN_RECESSED_FOSSA = 0.15
FOSSA_HALF_ANGLE_DEG = 58.0
FOSSA_CENTRE_DEG = 148.0
#: limits of the deformations [deg] / [mm] (larger requests are refused as impossible shapes)
MAX_RIM_TURN_DEG = 35.0
#: the joint rim solve (:meth:`AnatomicalHip.rim_turns`): Newton steps and tolerance [deg]
RIM_SOLVE_STEPS = 12
RIM_SOLVE_TOL_DEG = 0.05
RIM_SOLVE_MAX_STEP_DEG = 8.0
MAX_SOCKET_TURN_DEG = 30.0
MAX_NECK_TURN_DEG = 30.0
MAX_OFFSET_CHANGE_MM = 6.0

KEYS = ("alpha_angle_deg", "lce_angle_deg", "acetabular_version_deg", "cranial_version_deg",
        "femoral_version_deg", "neck_shaft_angle_deg", "head_neck_offset_mm", "head_radius_mm")


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _wrapped_hours(h):
    return (np.asarray(h) + 6.0) % 12.0 - 6.0


def _rotate(points, axis, angle):
    """Rodrigues rotation of points (n, 3) about unit axes (n, 3) or (3,) by angles (n,) [rad]."""
    k = np.broadcast_to(axis, points.shape)
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    return points * c + np.cross(k, points) * s + k * np.einsum("ij,ij->i", k, points)[:, None] * (1 - c)


def _monotone_inverse(xs, ys, target, key, what):
    """x where the measured y(x) (a table, increasing or decreasing) reaches ``target``."""
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    order = np.argsort(ys)
    lo, hi = ys.min(), ys.max()
    if not lo - 0.05 <= target <= hi + 0.05:
        raise InputError(key, f"{what} {target:g} cannot be built on this hip (feasible {lo:.1f} to {hi:.1f})")
    return float(np.interp(target, ys[order], xs[order]))


class AnatomicalHip:
    """A real hip (:class:`hipsim.bones.Bones`) and the shapes of it the config asks for.

    ``shape(morphology)`` returns a :class:`hipsim.mesh.HipGeometry`; ``own`` holds the bones' own
    measurements (what ``morphology.*`` starts from).
    """

    #: what :meth:`state` keeps (the costly parts of the base geometry)
    STATE = ("neck", "shaft", "pelvis_region", "axis", "rim")

    def __init__(self, bones: Bones, state=None):
        self.bones = bones
        b = bones
        if state is not None:
            for k in self.STATE:
                setattr(self, k, np.asarray(state[k]))
            keys = [str(k) for k in state["own_keys"]]
            self.__dict__["own"] = dict(zip(keys, (float(v) for v in state["own_values"])))
            self._tables = _tables_from(state)
        self.R = b.head_radius_mm
        self.Rs = b.socket_radius_mm
        self.F = np.asarray(b.femur_axes, float)
        self.P = np.asarray(b.pelvis_axes, float)
        fv, ff = b.femur_vertices, b.femur_faces
        self.femur_faces = ff
        self.pelvis_faces = b.pelvis_faces
        self.near_head = (np.linalg.norm(fv[ff], axis=2) < 2.3 * self.R).any(axis=1)
        self.near_socket = (np.linalg.norm(b.pelvis_vertices[b.pelvis_faces], axis=2) < 65.0).any(axis=1)
        if state is None:
            self.neck = self._neck_axis()
            shaft = b.landmarks.get("femur.shaft_axis")
            self.shaft = _unit(shaft) if shaft is not None else self.F[1]
            self.pelvis_region = self._pelvis_regions()
            self.axis, self.rim = self._rim(b.pelvis_vertices)
            self._tables = {}
        self.rim_psi = np.degrees(np.arccos(np.clip(_unit(self.rim) @ self.axis, -1, 1)))
        self.rim_clock = clock_position(self.rim, self.axis, self.P[1], self.P[0])
        self._rim_psi_table = np.ascontiguousarray(self.rim_psi_at(np.arange(RIM_TABLE_SIZE) * 12.0 / RIM_TABLE_SIZE))
        self._rim_zone = None
        self._rim_weights = None
        fr = np.linalg.norm(fv, axis=1)
        pr = np.linalg.norm(b.pelvis_vertices, axis=1)
        #: vertices each deformation can move (the rest stay: their weights are zero)
        self.femur_head_zone = np.flatnonzero(fr < 2.05 * self.R)
        self.femur_neck_zone = np.flatnonzero(fr < (NECK_PIVOT_RATIO + 2.0) * self.R)
        self.pelvis_zone = np.flatnonzero(pr < self.Rs + max(RIM_ZONE_FAR_MM, SOCKET_TURN_FAR_MM) + 1.0)
        beta = np.degrees(np.arccos(np.clip((fv @ self.neck) / np.maximum(fr, 1e-12), -1, 1)))
        self._head_zone_polar = self._femur_polar(fv[self.femur_head_zone])
        #: femur vertices a shape may make non-articular (all within reach but the head's dome)
        self.query_candidates = np.flatnonzero((fr < REACH_MM + 15.0) & ((beta < DOME_DEG + 5.0) | (fr > 1.15 * self.R)))
        #: bone within this distance [mm] of the head's sphere counts as on it (the fit's noise)
        self.head_band = max(HEAD_BAND_MM, 2.5 * float(b.info.get("head_fit_rms_mm", 0.0)))

    def state(self, cam_clocks=(1.5, 3.0)):
        """Plain arrays of the costly parts (:data:`STATE`, the own measurements and the solving
        tables, built here for ``cam_clocks``) for the disk cache; ``AnatomicalHip(bones, state)``
        restores them."""
        for clock in cam_clocks:
            self.alpha_table(clock, self.bones.femur_vertices)
        self.lcea_table(0.0, 0.0)
        self.cranial_table()
        out = {k: np.asarray(getattr(self, k)) for k in self.STATE}
        own = self.own
        out["own_keys"] = np.array(list(own), dtype="U64")
        out["own_values"] = np.array(list(own.values()), float)
        for i, ((kind, key), (x, y)) in enumerate(self._tables.items()):
            if kind in ("alpha", "lcea", "cranial"):
                out[f"table.{i}.kind"] = np.array(kind)
                out[f"table.{i}.key"] = np.atleast_1d(np.asarray(key, float))
                out[f"table.{i}.x"], out[f"table.{i}.y"] = x, y
        return out

    # ------------------------------------------------------------------ base geometry
    def _neck_axis(self):
        b = self.bones
        stored = b.landmarks.get("femur.neck_axis")
        if stored is not None:
            return _unit(stored)
        toward = _unit(-self.F[1] + 0.7 * self.F[2])       # down and lateral: the neck's side
        return neck_axis_of(b.femur_vertices, b.femur_faces, np.zeros(3), self.R, toward)

    def _pelvis_regions(self):
        """The bones' regions with the fossa marked geometrically when it is not recessed."""
        b = self.bones
        region = b.pelvis_region.copy()
        tri = b.pelvis_vertices[b.pelvis_faces]
        area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
        lunate = region == ACETABULUM_REGIONS["lunate"]
        fossa = region == ACETABULUM_REGIONS["fossa"]
        if area[fossa].sum() >= MIN_RECESSED_FOSSA * area[lunate | fossa].sum():
            return region
        axis, _ = self._rim(b.pelvis_vertices, region)
        notch = clock_direction(6.0, axis, self.P[1], self.P[0])
        ang = np.radians(FOSSA_CENTRE_DEG)
        centre = np.cos(ang) * axis + np.sin(ang) * notch
        direction = _unit(tri.mean(axis=1))
        cap = np.degrees(np.arccos(np.clip(direction @ centre, -1, 1))) < FOSSA_HALF_ANGLE_DEG
        region[lunate & cap] = ACETABULUM_REGIONS["fossa"]
        return region

    def _rim(self, vertices, region=None, n_clock=72):
        """Acetabular axis (normal of the plane of the rim, out of the socket) and the rim polyline
        (n_clock, 3): in each meridian plane, the first bone met by rays from the centre swept
        from the axis outward."""
        region = self.pelvis_region if region is None else region
        faces = self.pelvis_faces
        near = self.near_socket
        lun = region[near] == ACETABULUM_REGIONS["lunate"]
        cen = vertices[faces[near][lun]].mean(axis=1)
        a = _unit(-_unit(cen).mean(axis=0))
        for _ in range(2):
            rim = self._rim_points(vertices, faces[near], a, n_clock)
            clock = clock_position(rim, a, self.P[1], self.P[0])
            keep = np.abs(_wrapped_hours(clock - 6.0)) > 1.5            # not the notch
            centred = rim[keep] - rim[keep].mean(axis=0)
            normal = np.linalg.svd(centred)[2][2]
            a = normal if normal @ a > 0 else -normal
        return a, self._rim_points(vertices, faces[near], a, n_clock)

    def _rim_points(self, vertices, faces, a, n_clock):
        out = []
        psi = np.radians(np.arange(0.0, 170.0, 0.25))
        for h in np.linspace(0.0, 12.0, n_clock, endpoint=False):
            u = clock_direction(h, a, self.P[1], self.P[0])
            segs = plane_section(vertices, faces, np.zeros(3), np.cross(a, u))
            s2 = np.stack([segs @ a, segs @ u], -1)
            s2 = s2[(s2[..., 1] > 0).any(axis=1)]
            t = ray_hits_2d(s2, psi).min(axis=1)
            hit = np.flatnonzero(t < self.Rs + RIM_BEYOND_SOCKET_MM)
            k = hit[0] if len(hit) else len(psi) - 1
            dist = t[k] if np.isfinite(t[k]) else self.Rs
            out.append(dist * (np.cos(psi[k]) * a + np.sin(psi[k]) * u))
        return np.array(out)

    # ------------------------------------------------------------------ femur deformations
    def _femur_polar(self, p):
        r = np.linalg.norm(p, axis=1)
        beta = np.degrees(np.arccos(np.clip((p @ self.neck) / np.maximum(r, 1e-12), -1, 1)))
        clock = clock_position(p, self.neck, self.F[1], self.F[0])
        return r, beta, clock

    def cam_displacement(self, p, onset_deg, cam_clock, polar=None):
        """(n, 3) [mm] cam displacement of femur points (module docstring); ``polar``: their
        :meth:`_femur_polar` when known (the same points every shape)."""
        R = self.R
        r, beta, clock = self._femur_polar(p) if polar is None else polar
        w = np.cos(0.5 * np.pi * np.clip(np.abs(_wrapped_hours(clock - cam_clock)) / CAM_HALF_WIDTH_H, 0, 1)) ** 2
        x = np.radians(np.clip(onset_deg - beta, 0.0, None))
        height = R * max(CAM_MIN_RATIO, CAM_MAX_RATIO * (onset_deg - 40.0) / 45.0)
        bump = height * (1.0 - np.exp(-CAM_CURVATURE * R * x * x / height))
        s = r * np.cos(np.radians(beta))
        fade = 1.0 - _smoothstep((s - 0.7 * R) / (0.75 * R))
        amount = np.where(r < 2.0 * R, w * bump * fade, 0.0)
        return amount[:, None] * p / np.maximum(r, 1e-12)[:, None]

    def offset_displacement(self, p, change_mm):
        """(n, 3) [mm]: the anterior neck outline moved away from the neck axis by ``change_mm``
        at the waist (positive: a fuller neck, less offset)."""
        R = self.R
        n = self.neck
        s = p @ n
        q = p - np.outer(s, n)
        d = np.linalg.norm(q, axis=1)
        _, _, clock = self._femur_polar(p)
        w = np.cos(0.5 * np.pi * np.clip(np.abs(_wrapped_hours(clock - 3.0)) / OFFSET_HALF_WIDTH_H, 0, 1)) ** 2
        along = _smoothstep((s - 0.6 * R) / (0.3 * R)) * (1.0 - _smoothstep((s - 2.0 * R) / (0.3 * R)))
        amount = np.where(d < 1.4 * R, change_mm * w * along, 0.0)
        return amount[:, None] * q / np.maximum(d, 1e-12)[:, None]

    def neck_turn(self, p, nsa_change_deg, version_change_deg):
        """Femur points with the head and neck turned (module docstring): (points, new head
        centre, rotation matrix of the head)."""
        R = self.R
        n = self.neck
        pivot = NECK_PIVOT_RATIO * R * n
        bend_axis = _unit(np.cross(n, self.shaft))
        rot = np.eye(3)
        for axis, angle in ((bend_axis, nsa_change_deg), (self.F[1], version_change_deg)):
            if angle:
                rot = _axis_angle(axis, np.radians(angle)) @ rot
        if np.allclose(rot, np.eye(3)):
            return p, np.zeros(3), rot
        t = (pivot - p) @ n                                  # > 0 toward the head
        q = p - pivot
        line = np.linalg.norm(q - np.outer(q @ n, n), axis=1)
        w = _smoothstep((t + NECK_BLEND_RATIO * R) / (2 * NECK_BLEND_RATIO * R)) * \
            (1.0 - _smoothstep((line - NECK_RADIUS_RATIO * R) / (NECK_RADIUS_FADE_RATIO * R)))
        # turn by w of the full rotation: axis-angle of rot, scaled
        axis, angle = _axis_angle_of(rot)
        moved = pivot + _rotate(q, axis, w * angle)
        head = pivot + rot @ (-pivot)
        return moved, head, rot

    # ------------------------------------------------------------------ pelvis deformations
    def rim_psi_at(self, clock):
        """Polar angle [deg] of the base rim from the acetabular axis at clock positions."""
        order = np.argsort(self.rim_clock)
        c, psi = self.rim_clock[order], self.rim_psi[order]
        c = np.concatenate([c - 12.0, c, c + 12.0])
        psi = np.concatenate([psi, psi, psi])
        return np.interp(np.mod(clock, 12.0), c, psi)

    def rim_turn_weights(self, p):
        """(n, 6) what the rim turn of base points ``p`` (n, 3) depends on
        (:func:`hipsim._kernels.morph.rim_turn_weights`): computed once for the points a shape turns."""
        a = self.axis
        sup = _unit(self.P[1] - (self.P[1] @ a) * a)
        ant = _unit(self.P[0] - (self.P[0] @ a) * a)
        weights = np.empty((len(p), 6))
        _morph.rim_turn_weights(np.ascontiguousarray(p, float), a, sup, ant, self._rim_psi_table, self.Rs,
                                RIM_CRANIAL_CLOCK_H, RIM_CRANIAL_HALF_WIDTH_H, RIM_ZONE_INSIDE_DEG, RIM_ZONE_FADE_DEG,
                                RIM_ZONE_NEAR_MM, RIM_ZONE_FAR_MM, weights)
        return weights

    def rim_turn(self, p, lateral_deg, global_deg, cranial_deg, weights=None):
        """Pelvis points with the rim zone turned toward the axis (module docstring;
        :func:`hipsim._kernels.morph.rim_turn`); ``weights``: :meth:`rim_turn_weights` of ``p``."""
        if not (lateral_deg or global_deg or cranial_deg):
            return p
        if weights is None:
            weights = self.rim_turn_weights(p)
        out = np.empty_like(p)
        _morph.rim_turn(np.ascontiguousarray(p, float), weights, float(lateral_deg), float(global_deg),
                        float(cranial_deg), out)
        return out

    def _turn_rim(self, lateral_deg, global_deg, cranial_deg):
        """The base rim polyline turned (its weights kept)."""
        if self._rim_weights is None:
            self._rim_weights = self.rim_turn_weights(self.rim)
        return self.rim_turn(self.rim, lateral_deg, global_deg, cranial_deg, self._rim_weights)

    @property
    def rim_zone(self):
        """The pelvis vertices the rim turn moves (zone weight > 0; from their base positions)."""
        if self._rim_zone is None:
            z = self.pelvis_zone
            weights = self.rim_turn_weights(self.bones.pelvis_vertices[z])
            moving = weights[:, 2] > 0.0
            self._rim_zone, self._rim_zone_weights = z[moving], np.ascontiguousarray(weights[moving])
        return self._rim_zone

    def socket_turn(self, p, version_change_deg):
        """Pelvis points with the socket turned about the superior axis (module docstring)."""
        if not version_change_deg:
            return p
        r = np.linalg.norm(p, axis=1)
        w = 1.0 - _smoothstep((r - self.Rs - SOCKET_TURN_NEAR_MM) / (SOCKET_TURN_FAR_MM - SOCKET_TURN_NEAR_MM))
        return _rotate(p, self.P[1], np.radians(version_change_deg) * w)

    # ------------------------------------------------------------------ measurement
    def femur_mesh(self, vertices, regions=None):
        return Mesh(vertices, self.femur_faces, self.femur_regions(vertices) if regions is None else regions,
                    "femur")

    def pelvis_mesh(self, vertices):
        return Mesh(vertices, self.pelvis_faces, self.pelvis_region, "acetabulum")

    def femur_regions(self, vertices, head_radius=None, neck=None):
        """:meth:`_femur_regions` of the faces near the head (the others, whose labels go by their
        distance from the head centre and side, keep the bones' own)."""
        if not hasattr(self, "_base_regions"):
            self._base_regions = self._femur_regions(self.bones.femur_vertices, self.femur_faces)
            near = np.zeros(len(self.bones.femur_vertices), bool)
            near[self.femur_head_zone] = True
            self._region_faces = np.flatnonzero(near[self.femur_faces].any(axis=1))
            self._region_face_corners = np.ascontiguousarray(self.femur_faces[self._region_faces])
        R = self.R if head_radius is None else head_radius
        region = self._base_regions.copy()
        faces, corners = self._region_faces, self._region_face_corners
        if R == self.R and (neck is None or np.array_equal(neck, self.neck)):
            # the labels go by the face's own vertices: only faces with a moved vertex can change
            touched = moved_vertices(vertices, self.bones.femur_vertices)[corners].any(axis=1)
            faces, corners = faces[touched], np.ascontiguousarray(corners[touched])
        region[faces] = self._femur_regions(vertices, corners, R, neck)
        return region

    def _femur_regions(self, vertices, faces, head_radius=None, neck=None):
        """FEMUR_REGIONS of each femur face: ``head`` on the head's sphere (the articular surface)
        or on its dome (beyond DOME_DEG from the neck axis, where the fovea dips below it),
        ``head_neck_junction`` within 1.35 R, ``trochanter`` lateral of the neck base, ``neck`` up
        to REACH_MM, ``shaft`` beyond (never a query point) (:func:`hipsim._kernels.morph.femur_regions`)."""
        R = self.R if head_radius is None else head_radius
        out = np.empty(len(faces), np.int8)
        codes = np.array([FEMUR_REGIONS[k] for k in ("head", "head_neck_junction", "neck", "trochanter", "shaft")],
                         np.int8)
        _morph.femur_regions(np.ascontiguousarray(vertices, float), np.ascontiguousarray(faces),
                             np.asarray(self.neck if neck is None else neck, float), self.F[2], self.F[1], float(R),
                             float(self.head_band * R / self.R), REACH_MM, DOME_DEG, codes, out)
        return out

    def measure(self, femur_vertices, pelvis_vertices, neck, axis, rim, cam_clock=3.0, head_radius=None):
        """The hip's radiographic numbers (dict, degrees and mm) with :mod:`hipsim.measure`."""
        R = self.R if head_radius is None else head_radius
        femur = Mesh(femur_vertices, self.femur_faces, np.zeros(len(self.femur_faces), np.int8), "femur")
        out = {"head_radius_mm": R,
               "alpha_angle_deg": measure_alpha_angle(femur, np.zeros(3), neck, cam_clock, R, axes=self.F,
                                                      faces_mask=self.near_head),
               "alpha_angle_3h_deg": measure_alpha_angle(femur, np.zeros(3), neck, 3.0, R, axes=self.F,
                                                         faces_mask=self.near_head),
               "head_neck_offset_mm": measure_head_neck_offset(femur, np.zeros(3), neck, R, self.F,
                                                               faces_mask=self.near_head),
               "femoral_version_deg": measure_femoral_version(neck, self.F),
               "neck_shaft_angle_deg": measure_neck_shaft_angle(neck, self.shaft),
               "lce_angle_deg": measure_lcea_rim(rim, np.zeros(3), self.P),
               "acetabular_version_deg": measure_acetabular_version(rim, np.zeros(3), self.P),
               "cranial_version_deg": measure_cranial_version(rim, np.zeros(3), self.P)}
        return out

    def measure_meshes(self, femur_vertices, pelvis_vertices, cam_clock=3.0, neck_axis=None):
        """The radiographic numbers of bones of this hip's triangles (a shape of it) from the
        meshes, as on a patient's: the rim found again, the head radius fitted and, unless
        ``neck_axis`` is given, the neck axis found again (:func:`hipsim.landmarks.neck_axis_of`;
        a cam or an offset change widens the neck's waist on one side and tilts what it finds by
        up to ~2 deg). Dict as :meth:`measure`, plus ``head_centre_mm``."""
        fv = np.asarray(femur_vertices, float)
        toward = _unit(-self.F[1] + 0.7 * self.F[2])       # down and lateral: the neck's side
        head = sphere_by_normals(fv[self.femur_head_zone], vertex_normals(fv, self.femur_faces)[self.femur_head_zone],
                                 False, HEAD_RADIUS_RANGE_MM)
        neck = neck_axis_of(fv, self.femur_faces, np.zeros(3), head.radius, toward) if neck_axis is None \
            else np.asarray(neck_axis, float)
        axis, rim = self._rim(np.asarray(pelvis_vertices, float))
        out = self.measure(fv, pelvis_vertices, neck, axis, rim, cam_clock=cam_clock, head_radius=head.radius)
        out["head_centre_mm"] = head.centre
        return out

    @functools.cached_property
    def own(self):
        """The bones' own measurements (alpha at 3 o'clock as ``alpha_angle_deg``)."""
        b = self.bones
        return self.measure(b.femur_vertices, b.pelvis_vertices, self.neck, self.axis, self.rim)

    # ------------------------------------------------------------------ solving
    def _table(self, kind, key, build):
        if (kind, key) not in self._tables:
            self._tables[(kind, key)] = build()
        return self._tables[(kind, key)]

    def alpha_table(self, cam_clock, base_vertices, offset_change=0.0):
        """(onsets, measured alpha) of the cam at ``cam_clock`` on the femur ``base_vertices``
        (the bones' own, or with its head-neck offset changed by ``offset_change``)."""
        def build():
            onsets = np.linspace(*CAM_ONSET_RANGE_DEG, 23)
            femur = Mesh(base_vertices, self.femur_faces, np.zeros(len(self.femur_faces), np.int8), "femur")
            alphas = []
            for onset in onsets:
                v = base_vertices + self.cam_displacement(base_vertices, onset, cam_clock)
                alphas.append(measure_alpha_angle(Mesh(v, femur.faces, femur.face_region, "femur"), np.zeros(3),
                                                  self.neck, cam_clock, self.R, axes=self.F,
                                                  faces_mask=self.near_head))
            alphas = np.maximum.accumulate(np.array(alphas))      # the departure never moves back
            return onsets, alphas
        return self._table("alpha", (round(float(cam_clock), 6), round(float(offset_change), 6)), build)

    def lcea_table(self, global_deg, cranial_deg):
        def build():
            turns = np.linspace(-MAX_RIM_TURN_DEG, MAX_RIM_TURN_DEG, 29)
            values = [measure_lcea_rim(self._turn_rim(t, global_deg, cranial_deg), np.zeros(3), self.P)
                      for t in turns]
            return turns, np.array(values)
        return self._table("lcea", (round(global_deg, 6), round(cranial_deg, 6)), build)

    def cranial_table(self):
        def build():
            turns = np.linspace(-MAX_RIM_TURN_DEG, MAX_RIM_TURN_DEG, 21)
            values = []
            for t in turns:
                rim = self._turn_rim(0.0, 0.0, t)
                values.append(measure_cranial_version(rim, np.zeros(3), self.P))
            return turns, np.array(values)
        return self._table("cranial", 0, build)

    def shape(self, morphology):
        """The :class:`HipGeometry` of ``morphology`` (a hipsim.config.Morphology) on these bones."""
        t0 = time.perf_counter()
        m = morphology
        own = self.own
        R = self.R
        # ---- femur
        fv = self.bones.femur_vertices
        offset = getattr(m, "head_neck_offset_mm", None)
        if offset is not None:
            change = own["head_neck_offset_mm"] - offset
            if abs(change) > MAX_OFFSET_CHANGE_MM:
                raise InputError("morphology.head_neck_offset_mm",
                                 f"{offset:g} mm is more than {MAX_OFFSET_CHANGE_MM:g} mm from this femur's own "
                                 f"{own['head_neck_offset_mm']:.1f} mm")
            fv = fv.copy()
            z = self.femur_head_zone
            fv[z] += self.offset_displacement(fv[z], change)
        cam_onset = None
        alpha = m.alpha_angle_deg
        if alpha is not None:
            own_alpha = measure_alpha_angle(Mesh(fv, self.femur_faces, np.zeros(len(self.femur_faces), np.int8),
                                                 "femur"), np.zeros(3), self.neck, m.cam_clock, R, axes=self.F,
                                            faces_mask=self.near_head) if offset is not None else \
                self.own_alpha(m.cam_clock)
            if alpha < own_alpha - 0.5:
                raise InputError("morphology.alpha_angle_deg",
                                 f"{alpha:g} deg is below this femur's own alpha angle at {m.cam_clock:g} h "
                                 f"({own_alpha:.1f} deg): a cam only adds bone")
            if alpha > own_alpha + 0.5:
                onsets, alphas = self.alpha_table(m.cam_clock, fv, change) if offset is not None else \
                    self.alpha_table(m.cam_clock, self.bones.femur_vertices)
                cam_onset = _monotone_inverse(onsets, alphas, alpha, "morphology.alpha_angle_deg", "alpha angle")
                fv = fv.copy()
                z = self.femur_head_zone
                fv[z] += self.cam_displacement(fv[z], cam_onset, m.cam_clock,
                                               None if offset is not None else self._head_zone_polar)
        nsa_change = 0.0 if m.neck_shaft_angle_deg is None else m.neck_shaft_angle_deg - own["neck_shaft_angle_deg"]
        ver_change = 0.0 if m.femoral_version_deg is None else m.femoral_version_deg - own["femoral_version_deg"]
        for key, change in (("neck_shaft_angle_deg", nsa_change), ("femoral_version_deg", ver_change)):
            if abs(change) > MAX_NECK_TURN_DEG:
                raise InputError(f"morphology.{key}", f"{getattr(m, key):g} deg is more than {MAX_NECK_TURN_DEG:g} "
                                                      f"deg from this femur's own {own[key]:.1f} deg")
        neck = self.neck
        if nsa_change or ver_change:
            bend = self._signed_turn("nsa", nsa_change)
            twist = self._signed_turn("version", ver_change)
            fv = fv.copy()
            z = self.femur_neck_zone
            fv[z], head, rot = self.neck_turn(fv[z], bend, twist)
            fv = fv - head
            neck = rot @ self.neck
        # ---- pelvis
        pv = self.bones.pelvis_vertices
        rim, axis = self.rim, self.axis
        lateral_turn, global_turn, cranial_turn, version_change = self.rim_turns(
            m.lce_angle_deg, getattr(m, "cranial_version_deg", None), m.acetabular_version_deg)
        if lateral_turn or global_turn or cranial_turn:
            pv = pv.copy()
            z = self.rim_zone
            pv[z] = self.rim_turn(pv[z], lateral_turn, global_turn, cranial_turn, self._rim_zone_weights)
            rim = self._turn_rim(lateral_turn, global_turn, cranial_turn)
        if version_change:
            pv = pv.copy()
            z = self.pelvis_zone
            pv[z] = self.socket_turn(pv[z], version_change)
            rim = self.socket_turn(rim, version_change)
            axis = _rotate(axis[None], self.P[1], np.array([np.radians(version_change)]))[0]
        # ---- size
        scale = 1.0 if m.head_radius_mm is None else m.head_radius_mm / R
        if scale != 1.0:
            fv, pv, rim = fv * scale, pv * scale, rim * scale
        radius = R * scale
        regions = self.femur_regions(fv, radius, neck)
        femur = Mesh(np.ascontiguousarray(fv), self.femur_faces, regions, "femur")
        pelvis = Mesh(np.ascontiguousarray(pv), self.pelvis_faces, self.pelvis_region, "acetabulum")
        info = {"bones": self.bones.info.get("pelvis_source", "atlas"), "femur_source": self.bones.info.get("femur_source"),
                "pelvis_source": self.bones.info.get("pelvis_source"), "own": dict(own),
                "cam_onset_deg": cam_onset, "rim_lateral_turn_deg": lateral_turn, "rim_global_turn_deg": global_turn,
                "rim_cranial_turn_deg": cranial_turn, "socket_radius_mm": self.Rs * scale,
                "joint_space_mm": (self.Rs - R) * scale, "anatomical": True,
                "head_band_mm": self.head_band * scale,
                "build_seconds": time.perf_counter() - t0}
        return HipGeometry(femur=femur, acetabulum=pelvis, head_radius_mm=float(radius),
                           neck_axis=np.ascontiguousarray(neck), acetabular_axis=np.ascontiguousarray(axis),
                           rim_points=np.ascontiguousarray(rim),
                           rim_clock=clock_position(rim, axis, self.P[1], self.P[0]), info=info,
                           pelvis_axes=self.P, femur_axes=self.F)

    def rim_turns(self, lcea, cranial, version):
        """(lateral, global, cranial turn [deg] of the rim, version change [deg] of the socket)
        that give the rim an LCE angle ``lcea``, a cranial version ``cranial`` and an acetabular
        version ``version`` (each None: the bones' own). Each is first solved alone from its table;
        as each turn moves the others' measurements a little (the socket's turn moves the cranial
        version with it, the roof's turn the version), two or more are then corrected together
        by Newton steps on the measured rim until all are within RIM_SOLVE_TOL_DEG."""
        own = self.own
        change = 0.0
        if version is not None:
            change = version - own["acetabular_version_deg"]
            if abs(change) > MAX_SOCKET_TURN_DEG:
                raise InputError("morphology.acetabular_version_deg",
                                 f"{version:g} deg is more than {MAX_SOCKET_TURN_DEG:g} deg from this socket's own "
                                 f"{own['acetabular_version_deg']:.1f} deg")
        cranial_turn = 0.0
        if cranial is not None:
            # the socket's turn carries the cranial version with it, degree for degree
            turns, values = self.cranial_table()
            cranial_turn = _monotone_inverse(turns, values + change, cranial, "morphology.cranial_version_deg",
                                             "cranial version")
        global_turn = 0.0
        lateral_turn = 0.0
        if lcea is not None:
            global_turn = max(0.0, lcea - max(DEEP_SOCKET_LCEA_DEG, own["lce_angle_deg"]))
            turns, values = self.lcea_table(global_turn, cranial_turn)
            lateral_turn = _monotone_inverse(turns, values, lcea, "morphology.lce_angle_deg", "LCE angle")
        if sum(v is not None for v in (lcea, cranial, version)) < 2:
            return lateral_turn, global_turn, cranial_turn, change
        P = self.P

        def measured(lateral, cranial_t, version_change):
            rim = self.socket_turn(self._turn_rim(lateral, global_turn, cranial_t), version_change)
            return np.array([measure_lcea_rim(rim, np.zeros(3), P), measure_cranial_version(rim, np.zeros(3), P),
                             measure_acetabular_version(rim, np.zeros(3), P)])

        # Newton on the set keys with the finite-difference Jacobian of the measures by the turns
        # (the roof's turn and the lateral one interact strongly), steps capped
        x = np.array([lateral_turn, cranial_turn, change])
        target = np.array([np.nan if v is None else v for v in (lcea, cranial, version)])
        used = np.flatnonzero(~np.isnan(target))
        for _ in range(RIM_SOLVE_STEPS):
            now = measured(*x)
            error = target[used] - now[used]
            if np.abs(error).max() < RIM_SOLVE_TOL_DEG:
                break
            jac = np.empty((len(used), len(used)))
            for j, k in enumerate(used):
                probe = x.copy()
                probe[k] += 0.5
                jac[:, j] = (measured(*probe)[used] - now[used]) / 0.5
            try:
                step = np.linalg.solve(jac, error)
            except np.linalg.LinAlgError:
                break
            x[used] += step * min(1.0, RIM_SOLVE_MAX_STEP_DEG / np.abs(step).max())
        lateral_turn, cranial_turn, change = (float(v) for v in x)
        missed = np.abs(target[used] - measured(*x)[used]).max() > 10 * RIM_SOLVE_TOL_DEG
        for key, value, limit in (("lce_angle_deg", lateral_turn, MAX_RIM_TURN_DEG),
                                  ("cranial_version_deg", cranial_turn, MAX_RIM_TURN_DEG),
                                  ("acetabular_version_deg", change, MAX_SOCKET_TURN_DEG)):
            if abs(value) > limit or missed:
                raise InputError(f"morphology.{key}", "this combination of LCE angle, acetabular and cranial "
                                                      "version cannot be built on this hip")
        return lateral_turn, global_turn, cranial_turn, change

    def own_alpha(self, cam_clock):
        key = round(float(cam_clock), 6)
        if ("own_alpha", key) not in self._tables:
            femur = Mesh(self.bones.femur_vertices, self.femur_faces, np.zeros(len(self.femur_faces), np.int8), "femur")
            self._tables[("own_alpha", key)] = measure_alpha_angle(femur, np.zeros(3), self.neck, cam_clock, self.R,
                                                                   axes=self.F, faces_mask=self.near_head)
        return self._tables[("own_alpha", key)]

    def _signed_turn(self, kind, change):
        """The turn angle [deg] about the neck pivot's axis that changes the neck-shaft angle
        (``nsa``) or femoral version (``version``) by ``change`` (sign found once by measuring)."""
        if not change:
            return 0.0
        key = ("sign", kind)
        if key not in self._tables:
            probe = 5.0
            _, _, rot = self.neck_turn(np.zeros((1, 3)), probe if kind == "nsa" else 0.0,
                                       probe if kind == "version" else 0.0)
            n = rot @ self.neck
            if kind == "nsa":
                moved = measure_neck_shaft_angle(n, self.shaft) - measure_neck_shaft_angle(self.neck, self.shaft)
            else:
                moved = measure_femoral_version(n, self.F) - measure_femoral_version(self.neck, self.F)
            self._tables[key] = probe / moved
        return change * self._tables[key]


def _tables_from(state):
    tables = {}
    for name in state:
        if name.startswith("table.") and name.endswith(".kind"):
            i = name.split(".")[1]
            kind = str(state[name])
            key = state[f"table.{i}.key"]
            key = 0 if kind == "cranial" else tuple(round(float(v), 6) for v in key)
            tables[(kind, key)] = (state[f"table.{i}.x"], state[f"table.{i}.y"])
    return tables


def _axis_angle(axis, angle):
    """Rotation matrix about a unit axis by ``angle`` [rad]."""
    k = _unit(axis)
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle) * K + (1 - np.cos(angle)) * K @ K


def _axis_angle_of(rot):
    """(unit axis, angle [rad]) of a rotation matrix."""
    angle = np.arccos(np.clip((np.trace(rot) - 1.0) / 2.0, -1.0, 1.0))
    if angle < 1e-12:
        return np.array([1.0, 0.0, 0.0]), 0.0
    axis = np.array([rot[2, 1] - rot[1, 2], rot[0, 2] - rot[2, 0], rot[1, 0] - rot[0, 1]])
    return axis / (2.0 * np.sin(angle)), float(angle)
