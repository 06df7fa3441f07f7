"""Radiographic measurements of hip shape on any mesh: the parametric bones, the atlas, a
patient's CT or MR surfaces.

Every function takes a mesh in hipsim's frames (femur frame: origin near the head centre;
pelvis frame: origin at the hip centre) and the anatomical axes to measure against (rows
anterior, superior, lateral; :attr:`hipsim.mesh.HipGeometry.pelvis_axes` / ``femur_axes``; the
identity for the parametric hip), so a number means the same on every hip.

* alpha angle (Nötzli et al. 2002, J Bone Joint Surg Br 84:556, doi:10.1302/0301-620X.84B4.12014):
  in the plane of the neck axis at a clock position, the angle at the head centre between the
  neck axis and where the contour first leaves the head's circle by more than 5 % of its radius;
* lateral centre-edge angle (Wiberg 1939): in the frontal plane of the anterior pelvic plane
  through the head centre, the angle from the superior axis to the lateral edge of the roof
  (on a real pelvis: where the acetabular rim crosses that plane);
* acetabular version (anatomical, on axial CT: the angle between the line joining the anterior
  and posterior rims and the sagittal plane, positive when the socket opens anteriorly; here the
  rims are where the acetabular rim polyline crosses the transverse plane;
  Murray 1993, J Bone Joint Surg Br 75:228, doi:10.1302/0301-620X.75B2.8444942) at the head
  centre, and cranial version 5 mm below the roof (Reynolds et al. 1999, J Bone Joint Surg Br
  81:281, doi:10.1302/0301-620X.81B2.8291: negative cranial version is the crossover of a
  retroverted socket);
* femoral version: the neck axis against the posterior condylar axis, projected on the plane
  perpendicular to the mechanical axis (Murphy et al. 1987, J Bone Joint Surg Am 69:1169),
  positive for anteversion;
* neck-shaft angle: between the neck axis and the proximal shaft axis;
* anterior head-neck offset (Eijer et al. 2001, Hip Int 11:37, doi:10.1177/112070000101100106):
  in the plane of the neck axis at 3 o'clock, the head's anterior extent from the neck axis minus
  the neck's least anterior extent.
"""
from __future__ import annotations

import numpy as np

from .errors import InputError
from .mesh import (ACETABULUM_REGIONS, _unit, bisect_boundary, clock_direction, plane_section,
                   ray_hits_2d)

#: alpha-angle departure tolerance: the contour "leaves the head's circle" once it is more than
#: 5 % of the head radius away from it (~1.2 mm for a 24 mm head; computational alpha-angle
#: studies use 1 mm-scale thresholds on CT/MR contours).
ALPHA_TOLERANCE_FRACTION = 0.05
#: the alpha angle's contour is followed from this polar angle [deg] from the neck axis toward
#: the neck: below the fovea capitis (a pit near the dome, which is not a departure of the
#: head-neck junction) and above any alpha angle measured in practice
ALPHA_SCAN_START_DEG = 135.0
#: the roof plane of cranial version lies this far [mm] below the top of the acetabular rim
CRANIAL_LEVEL_MM = 5.0
#: window along the neck axis [head radii from the centre] searched for the neck's waist
OFFSET_WINDOW = (0.9, 1.9)

_EYE = np.eye(3)


def fit_head_radius(mesh, head_center, neck_axis_):
    """Head radius [mm]: median distance from the centre of the vertices more than 130 deg from
    the neck axis (the proximal dome of the head, away from any cam)."""
    v = mesh.vertices - head_center
    d = np.linalg.norm(v, axis=1)
    cosb = (v @ _unit(neck_axis_)) / np.maximum(d, 1e-12)
    sel = (cosb < np.cos(np.radians(130))) & (d < 60.0)
    if sel.sum() < 5:
        raise InputError(mesh.name, "no head surface found around the given head centre")
    return float(np.median(d[sel]))


def _faces(mesh, faces_mask):
    return mesh.faces if faces_mask is None else mesh.faces[faces_mask]


def measure_alpha_angle(femur_mesh, head_center, neck_axis, clock, head_radius=None,
                        tolerance_mm=None, step_deg=0.25, axes=_EYE, faces_mask=None):
    """Alpha angle [deg] in the radial plane at a clock position around the neck axis.

    The contour is followed from ALPHA_SCAN_START_DEG from the neck axis toward the neck by rays
    from the centre; the departure is the first ray whose nearest hit is more than
    ``tolerance_mm`` off the circle (either side), refined by bisection (module docstring).

    Parameters
    ----------
    femur_mesh : Mesh [mm]
    head_center : (3,) [mm]
    neck_axis : (3,) unit-ish, from the head centre toward the neck base
    clock : float [h] about the neck axis (12 superior, 3 anterior on a right hip)
    head_radius : float [mm], default fitted on the dome (:func:`fit_head_radius`)
    tolerance_mm : float [mm], default ALPHA_TOLERANCE_FRACTION * radius (5 %)
    axes : (3, 3) rows anterior, superior, lateral of the femur (the clock's reference)
    faces_mask : (m,) bool, only these faces are cut (speed; must hold the head and neck)

    Returns
    -------
    float [deg]
    """
    c = np.asarray(head_center, float)
    n = _unit(neck_axis)
    R = fit_head_radius(femur_mesh, c, n) if head_radius is None else float(head_radius)
    tol = ALPHA_TOLERANCE_FRACTION * R if tolerance_mm is None else float(tolerance_mm)
    u = clock_direction(clock, n, axes[1], axes[0])
    normal = np.cross(n, u)
    segs = plane_section(femur_mesh.vertices, _faces(femur_mesh, faces_mask), c, normal)
    seg2d = np.stack([segs @ n, segs @ u], axis=-1)
    seg2d = seg2d[(seg2d[..., 1] > 0).any(axis=1)]   # rays only reach the clock side (u > 0)

    def off(beta_deg):
        t = ray_hits_2d(seg2d, np.radians(np.atleast_1d(beta_deg)))
        d = t.min(axis=1)
        return np.abs(d - R) > tol

    betas = np.arange(ALPHA_SCAN_START_DEG, 0.0, -step_deg)
    bad = off(betas)
    if not bad.any():
        return 0.0
    i = int(np.argmax(bad))
    if i == 0:
        raise InputError(femur_mesh.name, "the head dome is not on a sphere about the given centre")
    lo, hi = bisect_boundary(lambda b: off(b)[0], betas[i], betas[i - 1])  # lo departs
    return float(0.5 * (lo + hi))


def measure_lcea(acetabulum_mesh, head_center, ignore_regions=(ACETABULUM_REGIONS["labrum"],),
                 max_distance_mm=None, step_deg=0.25, axes=_EYE, faces_mask=None):
    """Lateral centre-edge angle [deg] (Wiberg) in the frontal plane through the head centre.

    In the frontal plane (normal ``axes[0]``), rays from the centre at angle beta from the
    superior axis (positive laterally) are cast at the bone section; the lateral edge of the
    acetabular roof is where the rays stop hitting bone going laterally from the vertical.
    Negative when the roof does not reach the vertical. Faces in ``ignore_regions`` (the labrum,
    soft tissue) are not bone.

    Parameters
    ----------
    acetabulum_mesh : Mesh, pelvis frame [mm]
    head_center : (3,) [mm]
    max_distance_mm : hits further than this from the centre are ignored (default: 2.5 x the
        distance to the roof straight above the centre, i.e. the bone around the joint)
    axes : (3, 3) rows anterior, superior, lateral of the pelvis (anterior pelvic plane)
    faces_mask : (m,) bool, only these faces are cut (speed; must hold the roof and rim)

    Returns
    -------
    float [deg]
    """
    c = np.asarray(head_center, float)
    mask = ~np.isin(acetabulum_mesh.face_region, list(ignore_regions))
    if faces_mask is not None:
        mask &= faces_mask
    segs = plane_section(acetabulum_mesh.vertices, acetabulum_mesh.faces[mask], c, axes[0])
    seg2d = np.stack([segs @ axes[1], segs @ axes[2]], axis=-1)   # (superior, lateral)
    t0 = ray_hits_2d(seg2d, np.radians(np.array([0.0]))).min()
    dmax = max_distance_mm if max_distance_mm is not None else (2.5 * t0 if np.isfinite(t0) else np.inf)

    def hit(beta_deg):
        t = ray_hits_2d(seg2d, np.radians(np.atleast_1d(beta_deg))).min(axis=1)
        return t < dmax

    if hit(0.0)[0]:
        betas = np.arange(0.0, 90.0 + step_deg, step_deg)
        h = hit(betas)
        if h.all():
            return 90.0
        i = int(np.argmax(~h))
        lo, hi = betas[i - 1], betas[i]    # lo hits
    else:
        betas = np.arange(0.0, -90.0 - step_deg, -step_deg)
        h = hit(betas)
        if not h.any():
            raise InputError(acetabulum_mesh.name, "no acetabular roof above the head centre")
        i = int(np.argmax(h))
        lo, hi = betas[i], betas[i - 1]
    lo, hi = bisect_boundary(lambda b: hit(b)[0], lo, hi)
    return float(0.5 * (lo + hi))


def plane_crossings(rim_points, head_center, normal, offset_mm=0.0):
    """Points (k, 3) [relative to the head centre] where the closed rim polyline crosses the plane
    with unit ``normal`` ``offset_mm`` from the head centre."""
    p = np.asarray(rim_points, float) - head_center
    h = p @ normal - offset_mm
    q = np.roll(p, -1, axis=0)
    hq = np.roll(h, -1)
    cross = (h > 0) != (hq > 0)
    t = h[cross] / (h[cross] - hq[cross])
    return p[cross] + t[:, None] * (q[cross] - p[cross])


def measure_lcea_rim(rim_points, head_center, axes=_EYE):
    """Lateral centre-edge angle [deg] of a real acetabulum: the angle from the superior axis to
    where the rim crosses the frontal plane through the head centre above it (the lateral edge of
    the roof). On a real pelvis the ilium rises above the roof, so the edge is taken on the rim
    rather than where rays stop meeting bone (:func:`measure_lcea`, the parametric socket's)."""
    points = plane_crossings(rim_points, head_center, axes[0])
    points = points[points @ axes[1] > 0]
    if len(points) == 0:
        raise InputError("acetabulum", "the acetabular rim does not cross the frontal plane above the head")
    edge = points[np.argmax(points @ axes[1])]
    return float(np.degrees(np.arctan2(edge @ axes[2], edge @ axes[1])))


def rim_crossings(rim_points, head_center, axes=_EYE, height_mm=0.0):
    """Anterior and posterior points (3,) where the closed rim polyline (k, 3) crosses the
    transverse plane (normal ``axes[1]``) ``height_mm`` above the head centre: the crossings with
    the largest and smallest anterior coordinate."""
    points = plane_crossings(rim_points, head_center, axes[1], height_mm)
    if len(points) < 2:
        raise InputError("acetabulum", f"the acetabular rim does not cross the transverse plane {height_mm:.1f} mm "
                                       "above the head centre twice")
    ant = points @ axes[0]
    return points[np.argmax(ant)], points[np.argmin(ant)]


def measure_acetabular_version(rim_points, head_center, axes=_EYE, height_mm=0.0):
    """Anatomical acetabular version [deg] in the transverse plane ``height_mm`` above the head
    centre (0: the classic axial slice through the centre): the angle between the line from the
    posterior to the anterior rim (where the rim polyline crosses the plane) and the anterior
    axis, positive when the anterior rim lies medial to the posterior one (the socket opens
    anteriorly)."""
    front, back = rim_crossings(rim_points, head_center, axes, height_mm)
    d = front - back
    return float(np.degrees(np.arctan2(-(d @ axes[2]), d @ axes[0])))


def roof_height(rim_points, head_center, axes=_EYE):
    """Height [mm] of the top of the acetabular rim above the head centre (along the superior axis)."""
    return float(((np.asarray(rim_points) - head_center) @ axes[1]).max())


def measure_cranial_version(rim_points, head_center, axes=_EYE):
    """Cranial acetabular version [deg]: :func:`measure_acetabular_version` CRANIAL_LEVEL_MM below
    the top of the rim (negative: cranial retroversion, the crossover sign)."""
    h = roof_height(rim_points, head_center, axes) - CRANIAL_LEVEL_MM
    return measure_acetabular_version(rim_points, head_center, axes, h)


def measure_femoral_version(neck_axis, axes=_EYE):
    """Femoral version [deg]: the direction from the neck base to the head (``-neck_axis``)
    projected on the plane perpendicular to the mechanical axis (``axes[1]``), against the
    posterior condylar axis (``axes[2]``, lateral); positive when the head points anteriorly."""
    toward_head = -_unit(neck_axis)
    return float(np.degrees(np.arctan2(toward_head @ axes[0], -(toward_head @ axes[2]))))


def measure_neck_shaft_angle(neck_axis, shaft_axis):
    """Neck-shaft angle [deg] between the neck (base -> head, ``-neck_axis``) and the shaft
    pointing distally (``-shaft_axis``, which points proximally)."""
    return float(np.degrees(np.arccos(np.clip(_unit(neck_axis) @ _unit(shaft_axis), -1.0, 1.0))))


def measure_head_neck_offset(femur_mesh, head_center, neck_axis, head_radius, axes=_EYE, clock=3.0,
                             faces_mask=None, step_mm=0.25):
    """Anterior head-neck offset [mm] (module docstring): in the radial plane at ``clock``, the
    head radius minus the least distance of the neck's anterior outline from the neck axis
    within OFFSET_WINDOW head radii along the axis."""
    c = np.asarray(head_center, float)
    n = _unit(neck_axis)
    R = float(head_radius)
    u = clock_direction(clock, n, axes[1], axes[0])
    segs = plane_section(femur_mesh.vertices, _faces(femur_mesh, faces_mask), c, np.cross(n, u))
    s_, u_ = segs @ n, segs @ u
    keep = (u_ > 0).any(axis=1)
    s_, u_ = s_[keep], u_[keep]
    stations = np.arange(OFFSET_WINDOW[0] * R, OFFSET_WINDOW[1] * R, step_mm)
    lo, hi = np.minimum(s_[:, 0], s_[:, 1]), np.maximum(s_[:, 0], s_[:, 1])
    outline = np.full(len(stations), -np.inf)
    for k, s in enumerate(stations):
        cross = (lo <= s) & (hi > s)
        if not cross.any():
            continue
        t = (s - s_[cross, 0]) / (s_[cross, 1] - s_[cross, 0])
        outline[k] = np.max(u_[cross, 0] + t * (u_[cross, 1] - u_[cross, 0]))
    if not np.isfinite(outline).any():
        raise InputError(femur_mesh.name, "no femoral neck found along the neck axis")
    return float(R - outline[np.isfinite(outline)].min())
