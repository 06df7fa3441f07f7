"""The registry of result variables: dims, units and long names that every Dataset passes through."""
from dataclasses import dataclass

import numpy as np
import xarray as xr

from . import __version__


@dataclass(frozen=True)
class Variable:
    dims: tuple
    units: str
    long_name: str


VARIABLES = {
    "hip_contact_force": Variable(("frame", "axis"), "BW",
                                  "force of the femoral head on the acetabulum, pelvis frame"),
    "hip_contact_force_resultant": Variable(("frame",), "BW", "magnitude of the hip contact force"),
    "hip_angle": Variable(("frame", "dof"), "deg", "hip joint angles (femur relative to pelvis)"),
    "pelvis_angle": Variable(("frame", "pelvis_dof"), "deg", "pelvis orientation in the laboratory"),
    "hip_moment": Variable(("frame", "dof"), "N m / kg",
                           "net internal hip moment from inverse dynamics, per kg body mass"),
    "knee_ankle_moment": Variable(("frame", "distal_dof"), "N m / kg",
                                  "net internal knee and ankle moments, per kg body mass"),
    "grf": Variable(("frame", "lab_axis"), "BW", "ground reaction force on the right foot, laboratory axes"),
    "stance": Variable(("frame",), "1", "right foot on the ground (vertical ground reaction force > 0)"),
    "muscle_force": Variable(("frame", "muscle"), "N", "musculotendon force"),
    "muscle_activation": Variable(("frame", "muscle"), "1", "muscle activation"),
    "reserve_moment": Variable(("frame", "dof"), "N m", "hip moment the muscles could not supply"),
    "examiner_moment": Variable(("frame", "dof"), "N m",
                                "hip moment the examiner supplies in a passive exam (the net moment the "
                                "motion needs beyond the passive muscles')"),
    "reserve_moment_distal": Variable(("frame", "distal_dof"), "N m",
                                      "knee and ankle moment the muscles could not supply"),
    "solver_status": Variable(("frame",), "", "static optimization status per frame"),
    "impingement_clearance": Variable(("frame",), "mm",
                                      "smallest signed distance between the femoral head-neck junction, neck "
                                      "or trochanters and the pelvis outside the articular surface (< 0 = "
                                      "bony overlap)"),
    "impingement_clock": Variable(("frame",), "clock_hour",
                                  "clock position about the acetabular axis of the closest approach (12 "
                                  "superior, 3 anterior, right hip; anatomical axes)"),
    "impingement_overlap_area": Variable(("frame",), "mm^2", "femoral surface area inside the pelvic bone"),
    "contact_pressure_peak": Variable(("frame",), "MPa", "peak acetabular cartilage contact pressure (DEA)"),
    "contact_pressure_mean": Variable(("frame",), "MPa",
                                      "mean acetabular cartilage contact pressure over the contact area (DEA)"),
    "contact_area": Variable(("frame",), "mm^2", "acetabular cartilage area in compression (DEA)"),
    "contact_pressure_status": Variable(("frame",), "", "cartilage pressure solver status per frame"),
    "tendon_force": Variable(("frame", "tendon_group"), "BW",
                             "summed musculotendon force of each tendon group (tendinopathy load)"),
    "trochanteric_compression": Variable(("frame",), "BW",
                                         "force of the iliotibial-band tendons pressing on the greater "
                                         "trochanter (bursitis / gluteal tendinopathy load)"),
    "femoral_neck_stress": Variable(("frame", "site"), "MPa",
                                    "axial + bending stress at the superior and inferior cortex of the "
                                    "narrowest femoral neck section, tension positive (stress-fracture load)"),
    "cumulative_load_per_km": Variable((), "BW s / km",
                                       "hip contact force impulse per km travelled (overuse load; NaN "
                                       "without travel)"),
    "contact_pressure": Variable(("frame", "element"), "MPa",
                                 "contact pressure of each lunate cartilage element (cartilage.pressure_map)"),
    "cartilage_element_position": Variable(("element", "axis"), "mm",
                                           "cartilage element reference points on the acetabular bone, "
                                           "pelvis frame, origin at the hip centre"),
    # per-point variables of a sweep, where the cycle's timing can change from point to point
    "time": Variable(("frame",), "s", "time from right foot strike"),
    "stride_time": Variable((), "s", "duration of the gait cycle"),
}

#: how to read the units that are not SI (the attrs of every result)
UNITS_NOTE = ("BW = body weight (attrs body_weight_n, in N); clock_hour = clock position on the acetabular "
              "rim (12 superior, 3 anterior), not a time; hipsim.units.unit_registry(ds) defines both for pint")

CONVENTIONS = (
    "Right hip. Frame 0 is right foot strike. Pelvis frame (ISB, OpenSim pelvis body): "
    "anterior, superior, lateral (to the right). hip_contact_force is the force the femoral head "
    "applies to the acetabulum (superior positive = load into the dome). Hip angles: flexion, "
    "adduction, internal_rotation positive as named (OpenSim hip_flexion_r, hip_adduction_r, "
    "hip_rotation_r; body-fixed Z-X-Y sequence). Pelvis angles: tilt = -pelvis_tilt (anterior tilt "
    "positive), obliquity = pelvis_list (positive = right side down), rotation = pelvis_rotation "
    "(positive = right side forward), body-fixed Z-X-Y in the laboratory. Moments are net internal "
    "moments (generalized forces) about the same coordinates; knee positive = extension, ankle "
    "positive = dorsiflexion. Laboratory axes: anterior = direction of travel, superior, lateral "
    "(to the right)."
)


#: variables that rest on a solver's answer, by the status variable that flags its failures
DEPENDS_ON = {
    "solver_status": ("hip_contact_force", "hip_contact_force_resultant", "muscle_force", "muscle_activation",
                      "tendon_force", "trochanteric_compression", "femoral_neck_stress",
                      "contact_pressure_peak", "contact_pressure_mean", "contact_area", "contact_pressure"),
    "contact_pressure_status": ("contact_pressure_peak", "contact_pressure_mean", "contact_area",
                                "contact_pressure"),
}


def valid(result):
    """The result with every frame a solver flagged masked (NaN) in the variables that rest on
    that solver's answer (:data:`DEPENDS_ON`): muscle forces and everything built on them where
    ``solver_status`` is non-zero, cartilage pressure where ``contact_pressure_status`` is.
    Statistics (``max``, ``mean``) then skip those frames; the status variables and the
    kinematics are kept as they are.

    Parameters
    ----------
    result : xarray.Dataset
        A hipsim result (one run, or a sweep with extra dimensions).

    Returns
    -------
    xarray.Dataset
    """
    out = result.copy()
    for status, names in DEPENDS_ON.items():
        if status not in result:
            continue
        ok = result[status] == 0
        for name in names:
            if name in out and "frame" in out[name].dims:
                out[name] = out[name].where(ok)
    return out


def create_dataset(values, coords, config_yaml, attrs=None):
    """Build a result Dataset; every variable must be in the registry with matching dims.

    Parameters
    ----------
    values : dict[str, array]
    coords : dict[str, array or (dims, array)]
    config_yaml : str
        The resolved config, stored in ``attrs['config']`` so the file reproduces itself.
    """
    data_vars = {}
    for name, array in values.items():
        spec = VARIABLES.get(name)
        if spec is None:
            raise KeyError(f"{name!r} is not a registered result variable")
        array = np.asarray(array)
        if array.ndim != len(spec.dims):
            raise ValueError(f"{name}: expected dims {spec.dims}, got shape {array.shape}")
        var_attrs = {"units": spec.units, "long_name": spec.long_name}
        data_vars[name] = xr.Variable(spec.dims, array, var_attrs)
    ds = xr.Dataset(data_vars, coords=coords)
    ds.attrs.update({"Conventions": "CF-1.10", "hipsim_version": __version__, "conventions": CONVENTIONS,
                     "units_note": UNITS_NOTE, "config": config_yaml, **(attrs or {})})
    return ds
