"""Impingement-free range of motion of the configured hip (``hipsim rom``, :func:`range_of_motion`).

For each flexion angle the hip is rotated internally (and externally) from neutral rotation
until the non-articular femur first touches the pelvis (clearance 0); the angle where that
happens is found by a 1-degree scan and bisection on the clearance. This is the CT-collision
method of range-of-motion studies (Kubiak-Langer et al. 2007, Clin Orthop Relat Res 458:117,
doi:10.1097/BLO.0b013e318031c595; Tannast et al. 2007, J Orthop Res 25:122; Audenaert et al.
2012, Am J Sports Med 40:1329, doi:10.1177/0363546512441328), with the same bone-on-bone
contact (no labrum, no soft tissue).

Angles are anatomical by default (``rom.reference: anatomical``): flexion, adduction and
internal rotation of the femur's mechanical and posterior condylar axes against the anterior
pelvic plane, as those studies and the clinical exam measure them; ``model`` takes the model's
hip coordinates instead (gait2392's pelvis frame is the anterior pelvic plane tilted 16 deg
anteriorly, so its flexion is 16 deg less for the same pose).

Where no bone is met within the search (ROTATION_LIMIT_DEG, FLEXION_LIMIT_DEG,
ABDUCTION_LIMIT_DEG) the value is NaN and its status says so; the search limit is never reported
as a measurement.
"""
from __future__ import annotations

import numpy as np
import xarray as xr

from . import __version__
from .mesh import bisect_boundary, hip_rotation
from .variables import CONVENTIONS

SCAN_STEP_DEG = 1.0
#: scan steps per clearance query
SCAN_CHUNK = 6
ROTATION_LIMIT_DEG = 90.0
FLEXION_LIMIT_DEG = 150.0
ABDUCTION_LIMIT_DEG = 90.0
#: status of each searched limit (CF flag_values / flag_meanings)
LIMIT_STATUS = {0: "bone_contact", 1: "no_contact_within_search", 2: "overlapping_at_start"}


def hip_poses(angles_deg, hip_geometry=None, reference="anatomical"):
    """(n, 3, 3) femur-to-pelvis rotations (model frames, what the clearance takes) of hip angles
    (n, 3) [deg] (flexion, adduction, internal rotation), anatomical or model angles: an
    anatomical pose is R = P^T R(angles) F with P, F the hip's anatomical axes."""
    R = hip_rotation(angles_deg)
    if reference == "model" or hip_geometry is None:
        return R
    P = np.asarray(hip_geometry.pelvis_axes, float)
    F = np.asarray(hip_geometry.femur_axes, float)
    return np.ascontiguousarray(np.einsum("ji,njk,kl->nil", P, R, F))


def first_contact(clearance_of, limit, tolerance):
    """Smallest angle in [0, limit] at which ``clearance_of(angles)`` turns negative.

    Parameters
    ----------
    clearance_of : callable (k,) angles [deg] -> ((k,) clearance [mm], (k,) clock [h])
    limit : float [deg], signed (negative searches the other way)
    tolerance : float [deg]

    Returns
    -------
    (angle, clock, status) : angle [deg] where contact starts (NaN unless status 0), clock [h] of
    that contact, status (LIMIT_STATUS: 0 contact, 1 none within the search, 2 overlapping at 0).
    """
    steps = np.arange(0.0, abs(limit) + 1e-9, SCAN_STEP_DEG) * np.sign(limit)
    # scanned a few steps at a time, stopping at the first contact: poses deep in bone cost
    # the clearance query most (every overlapping point's depth) and are not needed
    i = None
    for start in range(0, len(steps), SCAN_CHUNK):
        clearance, _ = clearance_of(steps[start:start + SCAN_CHUNK])
        touching = np.flatnonzero(clearance < 0.0)
        if touching.size:
            i = start + int(touching[0])
            break
    if i is None:
        return float("nan"), float("nan"), 1
    if i == 0:
        return float("nan"), float("nan"), 2
    lo, hi = bisect_boundary(lambda a: clearance_of(np.array([a]))[0][0] >= 0.0,
                             steps[i - 1], steps[i], tolerance)
    _, clock = clearance_of(np.array([hi]))
    return abs(float(lo)), float(clock[0]), 0


def _limits(model, geometry, reference, tolerance, fixed, moving, limit, *, flexion=None, adduction=0.0):
    """Search along one angle (``moving`` index 0 flexion, 1 adduction, 2 rotation) with the
    others fixed (``fixed``: their values)."""
    def clearance_of(angles):
        a = np.tile(np.asarray(fixed, float), (len(angles), 1))
        a[:, moving] = angles
        result = model.query(hip_poses(a, geometry, reference))
        return result.clearance_mm, result.clock_h
    return first_contact(clearance_of, limit, tolerance)


def range_of_motion(config, clearance_model=None, hip_geometry=None):
    """The range of motion of a config's hip: an xarray Dataset.

    Parameters
    ----------
    config : hipsim.config.Config (its ``morphology`` and ``rom`` sections)
    clearance_model, hip_geometry : prepared models of that morphology (default: built, with
        exact clearances)

    Returns
    -------
    xarray.Dataset with, over the ``flexion`` coordinate [deg] (``rom.flexion_*``):
    ``max_internal_rotation`` and ``max_external_rotation`` [deg] at ``rom.adduction_deg``,
    ``max_internal_rotation_adducted`` [deg] at ``rom.adducted_deg`` (the FADIR position),
    ``limit_clock`` / ``limit_clock_adducted`` [h] (rim clock of the contact that ends internal
    rotation), their ``*_status`` (LIMIT_STATUS); scalars ``max_flexion`` (neutral adduction
    and rotation) and ``max_abduction`` (neutral flexion and rotation) [deg] with their status.
    NaN wherever the status is not 0.
    """
    from .hip_models import hip_geometry as geometry_of
    from .impingement import ClearanceModel
    if hip_geometry is None:
        hip_geometry = geometry_of(config.morphology)
    if clearance_model is None:
        # exact clearances: the bisection on the contact angle should not inherit the bulk
        # queries' 0.05 mm bound (~0.3 deg of rotation at the rim)
        clearance_model = ClearanceModel(hip_geometry, tolerance_mm=0.0)
    r = config.rom
    ref, tol = r.reference, r.tolerance_deg
    flexion = np.arange(r.flexion_start_deg, r.flexion_stop_deg + 1e-9, r.flexion_step_deg)
    curves = {k: [] for k in ("ir", "ir_clock", "ir_status", "er", "er_status", "ira", "ira_clock", "ira_status")}
    search = lambda fixed, moving, limit: _limits(clearance_model, hip_geometry, ref, tol, fixed, moving, limit)  # noqa: E731
    for f in flexion:
        a, h, s = search((f, r.adduction_deg, 0.0), 2, ROTATION_LIMIT_DEG)
        curves["ir"].append(a), curves["ir_clock"].append(h), curves["ir_status"].append(s)
        a, _, s = search((f, r.adduction_deg, 0.0), 2, -ROTATION_LIMIT_DEG)
        curves["er"].append(a), curves["er_status"].append(s)
        a, h, s = search((f, r.adducted_deg, 0.0), 2, ROTATION_LIMIT_DEG)
        curves["ira"].append(a), curves["ira_clock"].append(h), curves["ira_status"].append(s)
    max_flexion, flexion_clock, flexion_status = search((0.0, 0.0, 0.0), 0, FLEXION_LIMIT_DEG)
    max_abduction, abduction_clock, abduction_status = search((0.0, 0.0, 0.0), 1, -ABDUCTION_LIMIT_DEG)

    deg = {"units": "deg"}
    flags = {"flag_values": np.array(sorted(LIMIT_STATUS), np.int8),
             "flag_meanings": " ".join(LIMIT_STATUS[k] for k in sorted(LIMIT_STATUS))}
    curve = lambda key: ("flexion", np.array(curves[key], float))                   # noqa: E731
    status = lambda key, what: ("flexion", np.array(curves[key], np.int8), {**flags, "long_name": f"status of the {what} search"})  # noqa: E731
    ds = xr.Dataset(
        {
            "max_internal_rotation": (*curve("ir"), {**deg, "long_name": "impingement-free internal rotation at "
                                                                         "each flexion angle (rom.adduction_deg)",
                                                      "search_limit_deg": ROTATION_LIMIT_DEG}),
            "internal_rotation_status": status("ir_status", "internal rotation"),
            "max_external_rotation": (*curve("er"), {**deg, "long_name": "impingement-free external rotation at "
                                                                         "each flexion angle (rom.adduction_deg)",
                                                      "search_limit_deg": ROTATION_LIMIT_DEG}),
            "external_rotation_status": status("er_status", "external rotation"),
            "max_internal_rotation_adducted": (*curve("ira"), {
                **deg, "long_name": "impingement-free internal rotation at each flexion angle in adduction "
                                    "(rom.adducted_deg, the FADIR position)", "search_limit_deg": ROTATION_LIMIT_DEG}),
            "internal_rotation_adducted_status": status("ira_status", "internal rotation in adduction"),
            "limit_clock": (*curve("ir_clock"), {
                "units": "h", "long_name": "clock position of the contact that ends internal rotation "
                                           "(12 superior, 3 anterior; NaN: no contact)"}),
            "limit_clock_adducted": (*curve("ira_clock"), {
                "units": "h", "long_name": "clock position of the contact that ends internal rotation in "
                                           "adduction (NaN: no contact)"}),
            "max_flexion": ((), max_flexion, {**deg, "long_name": "impingement-free flexion at neutral adduction "
                                                                  "and rotation", "search_limit_deg": FLEXION_LIMIT_DEG,
                                              "limit_clock_h": flexion_clock}),
            "flexion_status": ((), np.int8(flexion_status), {**flags, "long_name": "status of the flexion search"}),
            "max_abduction": ((), max_abduction, {**deg, "long_name": "impingement-free abduction at neutral "
                                                                      "flexion and rotation",
                                                  "search_limit_deg": ABDUCTION_LIMIT_DEG,
                                                  "limit_clock_h": abduction_clock}),
            "abduction_status": ((), np.int8(abduction_status), {**flags, "long_name": "status of the abduction search"}),
        },
        coords={"flexion": ("flexion", flexion, {"units": "deg", "long_name": f"hip flexion ({ref} angles)"})},
    )
    from .pipeline import hip_attrs
    ds.attrs.update({"hipsim_version": __version__, "conventions": CONVENTIONS, "config": config.to_yaml(),
                     "adduction_deg": r.adduction_deg, "adducted_deg": r.adducted_deg, "reference": ref,
                     **hip_attrs(config.morphology),
                     "note": "NaN where no bone is met within the search (status 1) or the hip already overlaps "
                             "at the start (status 2); angles are " + (
                                 "anatomical: the femur's mechanical and posterior condylar axes against the "
                                 "anterior pelvic plane" if ref == "anatomical" else "the model's hip coordinates")})
    return ds
