"""Tissue loads behind the causes of post-run hip pain, from one simulated cycle.

* ``tendon_force``: the summed musculotendon force of each tendon group (tendinopathy loads:
  iliopsoas, gluteal = gluteus medius + minimus at the greater trochanter, gluteus maximus,
  hamstring, adductor, rectus femoris, tensor fasciae latae, deep rotators) [BW].
* ``trochanteric_compression``: the force with which the tendons that run over the lateral
  femur at the greater trochanter (tensor fasciae latae and the upper gluteus maximus, the
  iliotibial-band muscles) press onto it: at each of their femoral via points a tendon under
  tension T that changes direction presses on the bone with T |u_prev + u_next|, u the unit
  vectors toward the neighbouring path points (the capstan/wrap resultant; the compression that
  grows with hip adduction, Birnbaum et al. 2004, Surg Radiol Anat 26:433) -- the bursitis and
  gluteal-tendinopathy load [BW].
* ``femoral_neck_stress``: axial plus bending stress at the superior and inferior cortex of the
  femoral neck's narrowest section, an Euler-Bernoulli beam (straight neck along the neck axis,
  homogeneous cortical annulus of the neck's radius and NECK_CORTEX_MM wall, trabecular bone
  ignored) loaded by the joint force on the head (the only load on the head-and-neck free body
  proximal to the section; the abductors act through it): sigma = N / A + M r / I, tension
  positive -- the stress-fracture load [MPa].
* ``cumulative_load_per_km``: the hip contact force impulse of one stride (integral of
  |F| dt over the cycle) times strides per kilometre (1000 / (speed x stride time)) -- the
  overuse load of one hip [BW s / km]; NaN for motions without travel (FADIR, squat).
"""
from __future__ import annotations

import math

import numpy as np

from .model import POINT_FIXED
from .muscles import muscle_group

#: Tendon groups of ``tendon_force`` and the strength groups (``hipsim.muscles.MUSCLE_GROUPS``)
#: whose forces they add.
TENDON_GROUPS = {
    "iliopsoas": ("iliopsoas",),
    "gluteal": ("gluteus_medius", "gluteus_minimus"),
    "gluteus_maximus": ("gluteus_maximus",),
    "hamstring": ("hamstrings",),
    "adductor": ("adductors",),
    "rectus_femoris": ("rectus_femoris",),
    "tensor_fasciae_latae": ("tensor_fasciae_latae",),
    "deep_rotators": ("deep_rotators",),
}
#: Muscles whose femoral via points ride over the greater trochanter (iliotibial-band muscles of
#: gait2392 and of models that name them alike).
TROCHANTER_MUSCLES = ("tfl", "glut_max1", "glmax1")
#: Cortical wall of the femoral neck [mm]: the mean of the thin superior (~1 mm) and thick
#: inferior (~3 mm) cortex of young adults (Mayhew et al. 2005, Lancet 366:129).
NECK_CORTEX_MM = 2.0


def tendon_force(model, muscle_force, body_weight_n):
    """(n_frame, n_group) [BW] and the group names (TENDON_GROUPS order)."""
    groups = np.array([muscle_group(n) for n in model.muscle_names])
    out = np.zeros((muscle_force.shape[0], len(TENDON_GROUPS)))
    for k, members in enumerate(TENDON_GROUPS.values()):
        out[:, k] = muscle_force[:, np.isin(groups, members)].sum(axis=1)
    return out / body_weight_n, list(TENDON_GROUPS)


def _point_positions(model, rot, origin, muscle):
    """Ground positions (n_frame, n_point, 3) [m] of the fixed path points of one muscle, and
    their body names."""
    start, stop = model.muscle_point_start[muscle], model.muscle_point_start[muscle + 1]
    points, bodies = [], []
    for k in range(start, stop):
        if model.point_type[k] != POINT_FIXED:
            continue
        b = model.point_body[k]
        points.append(origin[:, b] + np.einsum("fij,j->fi", rot[:, b], model.point_location[k]))
        bodies.append(model.body_names[b])
    return np.stack(points, axis=1), bodies


def trochanteric_compression(model, kinematics, muscle_force, body_weight_n):
    """(n_frame,) [BW]: sum over TROCHANTER_MUSCLES of T |u_prev + u_next| at their femoral via
    points (points on the femur that are neither the first nor the last of the path)."""
    rot, origin = kinematics[0], kinematics[1]
    total = np.zeros(muscle_force.shape[0])
    for m, name in enumerate(model.muscle_names):
        base = name[:-2] if name.endswith(("_r", "_l")) else name
        if base not in TROCHANTER_MUSCLES or not name.endswith("_r"):
            continue
        pts, bodies = _point_positions(model, rot, origin, m)
        for j in range(1, pts.shape[1] - 1):
            if not bodies[j].startswith("femur"):
                continue
            u_prev = pts[:, j - 1] - pts[:, j]
            u_next = pts[:, j + 1] - pts[:, j]
            u_prev /= np.linalg.norm(u_prev, axis=1, keepdims=True)
            u_next /= np.linalg.norm(u_next, axis=1, keepdims=True)
            total += muscle_force[:, m] * np.linalg.norm(u_prev + u_next, axis=1)
            break                                   # the first femoral via point: the trochanter
    return total / body_weight_n


def neck_section(hip_geometry):
    """(distance [mm] from the head centre along the neck axis, outer radius [mm]) of the
    femoral neck's narrowest cross-section: the smallest mean radius of the femur mesh vertices
    in 1 mm slabs along the neck axis, between 0.8 and 1.8 head radii from the centre."""
    n = np.asarray(hip_geometry.neck_axis, float)
    n = n / np.linalg.norm(n)
    v = hip_geometry.femur.vertices
    s = v @ n
    r = np.sqrt(np.maximum(np.einsum("ij,ij->i", v, v) - s * s, 0.0))
    R = hip_geometry.head_radius_mm
    best = (None, np.inf)
    starts = np.arange(0.8 * R, 1.8 * R, 1.0)
    near = (s >= starts[0]) & (s < starts[-1] + 1.0) & (r < 1.2 * R)     # the neck, not the trochanter
    s, r = s[near], r[near]
    for lo in starts:
        sel = (s >= lo) & (s < lo + 1.0)
        if sel.sum() >= 8:
            mean_r = float(np.median(r[sel]))
            if mean_r < best[1]:
                best = (lo + 0.5, mean_r)
    if best[0] is None:
        raise ValueError("no femoral neck found along the neck axis")
    return best


def femoral_neck_stress(hip_geometry, rotations, contact_force_n, section=None):
    """(n_frame, 2) [MPa] axial + bending stress at the superior and inferior neck cortex.

    Parameters
    ----------
    hip_geometry : hipsim.morphology.HipGeometry (femur frame: x anterior, y superior, z lateral)
    rotations : (n, 3, 3) femur -> pelvis
    contact_force_n : (n, 3) [N] force of the head on the acetabulum, pelvis frame
    section : the :func:`neck_section` of ``hip_geometry`` when already known
    """
    n = np.asarray(hip_geometry.neck_axis, float)
    n = n / np.linalg.norm(n)
    s_c, r_o = neck_section(hip_geometry) if section is None else section
    r_i = max(r_o - NECK_CORTEX_MM, 0.0)
    area = math.pi * (r_o ** 2 - r_i ** 2)
    inertia = math.pi / 4.0 * (r_o ** 4 - r_i ** 4)
    up = np.array([0.0, 1.0, 0.0]) - n[1] * n          # superior direction across the section
    up /= np.linalg.norm(up)
    head_force = -np.einsum("fji,fj->fi", rotations, contact_force_n)   # on the head, femur frame
    axial = -(head_force @ n) / area                   # tension positive
    # internal moment on the proximal cut face (centroid s_c n): s_c n x F
    moment = s_c * np.cross(n, head_force)
    out = np.empty((len(head_force), 2))
    for k, sign in enumerate((1.0, -1.0)):             # superior, inferior cortex
        r = sign * r_o * up
        out[:, k] = axial + (np.cross(moment, r) @ n) / inertia
    return out


def tissue_loads(model, trial, kinematics, muscle_force, contact_force_n, rotations, hip_geometry,
                 body_weight_n, neck=None):
    """Every load measure of one cycle, keyed by Dataset variable name (see the module docstring);
    ``neck``: the hip's :func:`neck_section` when already known."""
    tendon, names = tendon_force(model, muscle_force, body_weight_n)
    return {
        "tendon_force": tendon,
        "tendon_group": names,
        "trochanteric_compression": trochanteric_compression(model, kinematics, muscle_force, body_weight_n),
        "femoral_neck_stress": femoral_neck_stress(hip_geometry, rotations, contact_force_n, neck),
        "cumulative_load_per_km": cumulative_load_per_km(trial.time, contact_force_n / body_weight_n,
                                                         trial.speed, trial.stride_time),
    }


def cumulative_load_per_km(time_s, contact_force_bw, speed_m_s, stride_time_s):
    """Hip contact force impulse per km [BW s / km] (trapezoid over the cycle); NaN at speed 0."""
    if not speed_m_s > 0:
        return float("nan")
    magnitude = np.linalg.norm(contact_force_bw, axis=1)
    impulse = float(np.sum(0.5 * (magnitude[1:] + magnitude[:-1]) * np.diff(time_s)))
    return impulse * 1000.0 / (speed_m_s * stride_time_s)
