"""Impingement-free range of motion of the configured hip (``hipsim rom``).

For each flexion angle the hip is rotated internally (and externally) from neutral rotation
until the non-articular femur first touches the acetabular rim (clearance 0); the angle where
that happens is found by a 1-degree scan and bisection on the clearance. This is the
CT-collision method of range-of-motion studies (e.g. Kubiak-Langer et al. 2007, Clin Orthop
Relat Res 458:117; Audenaert et al. 2012, doi:10.1016/j.clinbiomech.2011.11.012).
"""
from __future__ import annotations

import numpy as np
import xarray as xr

from . import __version__
from .morphology import bisect_boundary
from .variables import CONVENTIONS

SCAN_STEP_DEG = 1.0
ROTATION_LIMIT_DEG = 90.0
FLEXION_LIMIT_DEG = 150.0


def _poses(flexion, adduction, rotation):
    from .morphology import hip_rotation
    angles = np.column_stack(np.broadcast_arrays(np.asarray(flexion, float), np.asarray(adduction, float),
                                                 np.asarray(rotation, float)))
    return hip_rotation(angles)


def first_contact(clearance_of, limit, tolerance):
    """Smallest angle in [0, limit] at which ``clearance_of(angles)`` turns negative.

    Parameters
    ----------
    clearance_of : callable (k,) angles [deg] -> ((k,) clearance [mm], (k,) clock [h])
    limit : float [deg], signed (negative searches the other way)
    tolerance : float [deg]

    Returns
    -------
    (angle, clock) : angle [deg] where contact starts (``limit`` and NaN clock when none;
    NaN when already overlapping at 0), clock [h] of that contact.
    """
    steps = np.arange(0.0, abs(limit) + 1e-9, SCAN_STEP_DEG) * np.sign(limit)
    clearance, _ = clearance_of(steps)
    touching = np.flatnonzero(clearance < 0.0)
    if touching.size == 0:
        return float(limit), float("nan")
    i = int(touching[0])
    if i == 0:
        return float("nan"), float("nan")
    lo, hi = bisect_boundary(lambda a: clearance_of(np.array([a]))[0][0] >= 0.0,
                             steps[i - 1], steps[i], tolerance)
    _, clock = clearance_of(np.array([hi]))
    return float(lo), float(clock[0])


def range_of_motion(config, clearance_model=None):
    """The ``rom`` Dataset of a config (see CONTRACT.md: max_internal_rotation,
    max_external_rotation, max_flexion, limit_clock)."""
    from .impingement import ClearanceModel
    from .morphology import build_hip
    if clearance_model is None:
        # exact clearances: the bisection on the contact angle should not inherit the bulk
        # queries' 0.05 mm bound (~0.3 deg of rotation at the rim)
        clearance_model = ClearanceModel(build_hip(config.morphology), tolerance_mm=0.0)
    r = config.rom
    flexion = np.arange(r.flexion_start_deg, r.flexion_stop_deg + 1e-9, r.flexion_step_deg)
    adduction = r.adduction_deg

    def clearance_along(fixed_flexion, fixed_rotation=None):
        def clearance_of(angles):
            if fixed_rotation is None:
                result = clearance_model.query(_poses(fixed_flexion, adduction, angles))
            else:
                result = clearance_model.query(_poses(angles, adduction, fixed_rotation))
            return result.clearance_mm, result.clock_h
        return clearance_of

    internal, external, clock = [], [], []
    for f in flexion:
        angle, h = first_contact(clearance_along(f), ROTATION_LIMIT_DEG, r.tolerance_deg)
        internal.append(angle)
        clock.append(h)
        angle, _ = first_contact(clearance_along(f), -ROTATION_LIMIT_DEG, r.tolerance_deg)
        external.append(-angle)
    max_flexion, flexion_clock = first_contact(clearance_along(None, 0.0), FLEXION_LIMIT_DEG, r.tolerance_deg)

    attrs = {"units": "deg"}
    ds = xr.Dataset(
        {
            "max_internal_rotation": ("flexion", np.array(internal), {
                **attrs, "long_name": "impingement-free internal rotation at each flexion angle",
                "search_limit_deg": ROTATION_LIMIT_DEG}),
            "max_external_rotation": ("flexion", np.array(external), {
                **attrs, "long_name": "impingement-free external rotation at each flexion angle",
                "search_limit_deg": ROTATION_LIMIT_DEG}),
            "max_flexion": ((), max_flexion, {
                **attrs, "long_name": "impingement-free flexion at neutral adduction and rotation",
                "search_limit_deg": FLEXION_LIMIT_DEG, "limit_clock_h": flexion_clock}),
            "limit_clock": ("flexion", np.array(clock), {
                "units": "h", "long_name": "rim clock position of the contact that ends internal rotation "
                                           "(12 superior, 3 anterior; NaN: no contact within the search)"}),
        },
        coords={"flexion": ("flexion", flexion, {"units": "deg", "long_name": "hip flexion"})},
    )
    ds.attrs.update({"hipsim_version": __version__, "conventions": CONVENTIONS, "config": config.to_yaml(),
                     "adduction_deg": adduction,
                     "note": "a value equal to search_limit_deg means no bony contact within the search; "
                             "NaN means the hip already overlaps at neutral rotation"})
    return ds
