"""The mesh layer of hip geometry: triangle meshes with named face regions, the hip's frames,
rotations and clock face, and the plane sections and topology checks every shape module uses.

Frames (right hip, millimetres): the pelvis frame has x anterior, y superior, z lateral (right)
and its origin at the hip joint centre; the femur frame the same axes in the neutral pose and
its origin at the femoral head centre. For a real hip these are the model's (gait2392's) body
frames; the anatomical axes (anterior pelvic plane; femoral mechanical and posterior condylar
axes) are carried beside them (:attr:`HipGeometry.pelvis_axes`, ``femur_axes``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict

import numpy as np

FEMUR_REGIONS = {"head": 0, "head_neck_junction": 1, "neck": 2, "trochanter": 3, "shaft": 4}
ACETABULUM_REGIONS = {"lunate": 0, "fossa": 1, "rim": 2, "outer": 3, "labrum": 4}

_X = np.array([1.0, 0.0, 0.0])
_Y = np.array([0.0, 1.0, 0.0])
_Z = np.array([0.0, 0.0, 1.0])


@dataclass(frozen=True)
class Mesh:
    """A closed triangle mesh with face regions.

    Attributes
    ----------
    vertices : (n, 3) float64 [mm]
    faces : (m, 3) int64, counter-clockwise seen from outside (outward normals)
    face_region : (m,) int8, see :data:`FEMUR_REGIONS` / :data:`ACETABULUM_REGIONS`
    name : str, ``'femur'`` or ``'acetabulum'``
    """
    vertices: np.ndarray
    faces: np.ndarray
    face_region: np.ndarray
    name: str

    @property
    def n_faces(self):
        return int(len(self.faces))

    def volume(self):
        """Enclosed volume [mm3] (positive for outward normals)."""
        v = self.vertices[self.faces]
        return float(np.einsum("ij,ij->i", v[:, 0], np.cross(v[:, 1], v[:, 2])).sum() / 6.0)

    def region_mask(self, *names):
        """(m,) bool: faces in any of the named regions."""
        table = FEMUR_REGIONS if self.name == "femur" else ACETABULUM_REGIONS
        return np.isin(self.face_region, [table[n] for n in names])


@dataclass(frozen=True)
class HipGeometry:
    """Femur and acetabulum (pelvis) of one hip with the axes the impingement code needs.

    Attributes
    ----------
    femur : Mesh, femur frame [mm], origin at the head centre
    acetabulum : Mesh, pelvis frame [mm], origin at the hip joint centre (for a real hip: the
        whole right hip bone)
    head_radius_mm : float
    neck_axis : (3,) unit, femur frame, from the head centre toward the neck base (distally
        along the neck, i.e. pointing laterally and inferiorly)
    acetabular_axis : (3,) unit, pelvis frame, from the centre out of the socket opening
    rim_points : (k, 3) ordered closed rim polyline (first point not repeated), pelvis frame [mm]:
        the crest of the bony rim (the labrum's free edge when the labrum is enabled); for a real
        acetabulum the first bone met by rays swept from the axis outward
    rim_clock : (k,) clock position of each rim point [h]
    pelvis_axes : (3, 3) rows = the anatomical anterior, superior and lateral (right) axes in the
        pelvis frame (the anterior pelvic plane of a real pelvis; identity for the parametric hip):
        the reference of the clock face, of the radiographic angles and of clinical angles
    femur_axes : (3, 3) rows = the femur's anatomical anterior, superior (mechanical) and lateral
        (posterior condylar) axes in the femur frame
    info : dict of how the hip was made and what it measures
    """
    femur: Mesh
    acetabulum: Mesh
    head_radius_mm: float
    neck_axis: np.ndarray
    acetabular_axis: np.ndarray
    rim_points: np.ndarray
    rim_clock: np.ndarray
    info: Dict[str, Any] = field(default_factory=dict, compare=False)
    pelvis_axes: np.ndarray = field(default_factory=lambda: np.eye(3), compare=False)
    femur_axes: np.ndarray = field(default_factory=lambda: np.eye(3), compare=False)

    def clock(self, points):
        """Clock position [h] of pelvis-frame points about the acetabular axis (anatomical
        12 superior, 3 anterior on a right hip)."""
        return clock_position(points, self.acetabular_axis, self.pelvis_axes[1], self.pelvis_axes[0])


def _unit(v):
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def hip_rotation(angles_deg):
    """Rotation matrices of the femur in the pelvis, OpenSim ``hip_r`` convention.

    ``R = Rz(flexion) @ Rx(adduction) @ Ry(internal_rotation)``; ``p_pelvis = R @ p_femur``.

    Parameters
    ----------
    angles_deg : (n, 3) or (3,) float [deg], columns flexion, adduction, internal rotation

    Returns
    -------
    (n, 3, 3) float64
    """
    a = np.radians(np.atleast_2d(np.asarray(angles_deg, dtype=float)))
    if a.shape[-1] != 3:
        raise ValueError("angles_deg must have 3 columns (flexion, adduction, internal_rotation)")
    cf, sf = np.cos(a[:, 0]), np.sin(a[:, 0])
    ca, sa = np.cos(a[:, 1]), np.sin(a[:, 1])
    cr, sr = np.cos(a[:, 2]), np.sin(a[:, 2])
    n = len(a)
    one, zero = np.ones(n), np.zeros(n)
    rz = np.stack([np.stack([cf, -sf, zero], -1), np.stack([sf, cf, zero], -1),
                   np.stack([zero, zero, one], -1)], -2)
    rx = np.stack([np.stack([one, zero, zero], -1), np.stack([zero, ca, -sa], -1),
                   np.stack([zero, sa, ca], -1)], -2)
    ry = np.stack([np.stack([cr, zero, sr], -1), np.stack([zero, one, zero], -1),
                   np.stack([-sr, zero, cr], -1)], -2)
    return np.ascontiguousarray(rz @ rx @ ry)


def clock_position(points, axis, superior=_Y, anterior=_X):
    """Clock-face position [h] of points around an axis (right hip, seen from lateral).

    12 superior, 3 anterior, 6 inferior, 9 posterior:
    ``h = atan2(u . anterior', u . superior') / (2 pi) * 12 mod 12`` with u the points projected
    on the plane perpendicular to ``axis`` and anterior'/superior' the ``anterior`` /
    ``superior`` reference directions projected on it (default the frame's x / y axes; a real
    hip passes its anatomical axes, :attr:`HipGeometry.pelvis_axes`).

    Parameters
    ----------
    points : (n, 3) float [mm], relative to the centre (origin)
    axis : (3,) float, the acetabular axis (pelvis frame) or the neck axis (femur frame)
    superior, anterior : (3,) float, reference directions in the same frame

    Returns
    -------
    (n,) float [h] in [0, 12)
    """
    p = np.atleast_2d(np.asarray(points, dtype=float))
    a = _unit(axis)
    sup = _unit(superior - (superior @ a) * a)
    ant = _unit(anterior - (anterior @ a) * a)
    u = p - np.outer(p @ a, a)
    h = np.arctan2(u @ ant, u @ sup) / (2 * np.pi) * 12.0
    return np.mod(h, 12.0)


def clock_direction(clock, axis, superior=_Y, anterior=_X):
    """Unit direction perpendicular to ``axis`` whose :func:`clock_position` is ``clock``
    (closed form: with e1 the superior reference and e2 = axis x e1 turned toward the anterior
    one, u = x e1 + y e2 has u . sup' = x and u . ant' = x c1 + y c2, c_i = e_i . ant')."""
    a = _unit(axis)
    sup = _unit(superior - (superior @ a) * a)
    ant = _unit(anterior - (anterior @ a) * a)
    e2 = np.cross(a, sup)
    if e2 @ ant < 0:
        e2 = -e2
    c1, c2 = sup @ ant, e2 @ ant
    h = np.asarray(clock, float) * np.pi / 6.0
    x = np.cos(h)
    y = (np.sin(h) - x * c1) / c2
    u = np.multiply.outer(x, sup) + np.multiply.outer(y, e2)
    return u / np.linalg.norm(u, axis=-1, keepdims=True)


def edge_check(faces):
    """(closed, manifold, oriented) for a triangle list: every edge in exactly two faces,
    traversed once in each direction."""
    f = np.asarray(faces)
    e = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
    und = np.sort(e, axis=1)
    _, cnt = np.unique(und, axis=0, return_counts=True)
    manifold = bool(np.all(cnt == 2))
    _, dcnt = np.unique(e, axis=0, return_counts=True)
    oriented = bool(np.all(dcnt == 1))
    return manifold, manifold, oriented and manifold


def is_watertight(mesh):
    """True when every edge is shared by exactly two faces with opposite orientation."""
    return edge_check(mesh.faces)[2]


def euler_characteristic(mesh):
    f = mesh.faces
    e = np.unique(np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1), axis=0)
    nv = len(np.unique(f))
    return int(nv - len(e) + len(f))


def plane_section(vertices, faces, origin, normal):
    """Segments (k, 2, 3) [relative to ``origin``] where the plane through ``origin`` with unit
    ``normal`` cuts the triangles ``faces`` of ``vertices``."""
    v = np.asarray(vertices) - origin
    f = faces
    d = v @ normal
    d = np.where(np.abs(d) < 1e-9, 1e-9, d)   # vertices on the plane count as in front of it
    df = d[f]
    cut = (df.min(1) < 0) & (df.max(1) > 0)
    f, df = f[cut], df[cut]
    pts = np.zeros((len(f), 2, 3))
    cnt = np.zeros(len(f), int)
    for i, j in ((0, 1), (1, 2), (2, 0)):
        di, dj = df[:, i], df[:, j]
        m = (di < 0) != (dj < 0)
        t = di[m] / (di[m] - dj[m])
        p = v[f[m, i]] + t[:, None] * (v[f[m, j]] - v[f[m, i]])
        rows = np.nonzero(m)[0]
        pts[rows, np.minimum(cnt[rows], 1)] = p
        cnt[rows] += 1
    return pts[cnt == 2]


def ray_hits_2d(seg2d, angles):
    """Distances (n_angle, k) from the origin along rays at ``angles`` to 2-D segments (inf if none)."""
    dx, dy = np.cos(angles)[:, None], np.sin(angles)[:, None]
    p, q = seg2d[:, 0], seg2d[:, 1]
    ex, ey = (q - p)[:, 0][None], (q - p)[:, 1][None]
    px, py = p[:, 0][None], p[:, 1][None]
    den = dx * ey - dy * ex
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (px * ey - py * ex) / den          # along the ray
        s = (px * dy - py * dx) / den          # along the segment
    ok = (np.abs(den) > 1e-12) & (t > 1e-9) & (s >= -1e-9) & (s <= 1 + 1e-9)
    return np.where(ok, t, np.inf)


def bisect_boundary(holds, lo, hi, tol=1e-9):
    """Narrow [lo, hi] around the boundary of a predicate that holds at ``lo`` and not at
    ``hi`` (either order of the numbers) until ``|hi - lo| <= tol``; returns (lo, hi)."""
    while abs(hi - lo) > tol:
        mid = 0.5 * (lo + hi)
        if holds(mid):
            lo = mid
        else:
            hi = mid
    return lo, hi
