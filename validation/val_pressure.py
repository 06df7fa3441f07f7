"""Cartilage contact pressure (discrete element analysis) on real hips against a closed form and
published models.

- The closed-form DEA of a sphere in a congruent hemispherical socket under a central load.
- Force balance: the radial springs' forces add up to the hip contact force in every frame the
  solver accepts; frames it cannot balance are flagged, never reported as solved.
- Walking on the default (atlas) hip and the two real subjects (LHDL CT, ICL MRI) beside Harris
  et al. 2012 (J Orthop Res 30:1133; FE of CT hips, peak 7.52 +- 2.11 MPa at heel strike of
  walking, contact over 34 % of the acetabular cartilage), Abraham et al. 2013 (J Biomech
  46:1121; DEA of hips like Harris's: peak 9.8-13.6 MPa, mean 3.0-3.7 MPa over walking and
  stairs) and Anderson et al. 2008 (J Biomech Eng 130:051008; pressure film in a cadaveric hip:
  contact area 322-425 mm2).
- Pressure against lateral cover (the atlas's rim trimmed): higher pressure on less area as the
  centre-edge angle falls (Genda et al. 2001, J Biomech 34:895; Russell et al. 2006, J Orthop
  Surg Res 1:6; direction only).
Nothing is tuned: cartilage E 12 MPa, nu 0.45, thickness filling the joint space (the defaults).
"""
from __future__ import annotations

import numpy as np

import _common as C

TITLE = "Cartilage contact pressure (DEA) on real hips"
FIGURES, FINDINGS = [], []
SRC_ANALYTIC = "closed form (hipsim.pressure.concentric_solution)"
SRC_HARRIS = "Harris 2012 J Orthop Res 30:1133 (FE, walking heel strike)"
SRC_ABRAHAM = "Abraham 2013 J Biomech 46:1121 (DEA); Anderson 2008 J Biomech Eng 130:051008 (film area)"
SRC_COVER = "Genda 2001 J Biomech 34:895; Russell 2006 J Orthop Surg Res 1:6 (direction)"
SUBJECTS = {"LHDL CT": "lhdl_ct", "ICL MRI": "icl_mri"}
LCEAS = (40.0, 30.0, 20.0, 15.0)


def _analytic_rows():
    from hipsim.pressure import (PressureModel, cartilage_layer, concentric_solution, hemispherical_socket,
                                 spherical_head)
    rows = []
    Rs, h = 28.0, 2.0
    model = PressureModel.from_parts(cartilage_layer(hemispherical_socket(Rs)), spherical_head(Rs - h), h, 12.0, 0.45)
    for load in (1000.0, 2000.0, 4000.0):
        res = model.solve(np.eye(3)[None], np.array([[0.0, -load, 0.0]]))
        exact = concentric_solution(load, Rs, h, 12.0, 0.45)
        errors = [abs(res.peak_mpa[0] / exact["peak_mpa"] - 1), abs(res.mean_mpa[0] / exact["mean_mpa"] - 1),
                  abs(res.contact_area_mm2[0] / exact["area_mm2"] - 1)]
        rows.append(C.row(f"concentric sphere, central load {load:.0f} N: peak / mean / area vs closed form",
                          f"{res.peak_mpa[0]:.4f} / {res.mean_mpa[0]:.4f} MPa / {res.contact_area_mm2[0]:.0f} mm2 "
                          f"(worst error {100 * max(errors):.2f} %)",
                          f"{exact['peak_mpa']:.4f} / {exact['mean_mpa']:.4f} / {exact['area_mm2']:.0f}, within 1 %",
                          SRC_ANALYTIC, max(errors) <= 0.01))
    return rows


def _morphology(name):
    if name == "atlas":
        return {}
    folder = SUBJECTS[name]
    return {"femur_mesh": str(C.ref("hip_geometry", folder, "femur_r.stl")),
            "acetabulum_mesh": str(C.ref("hip_geometry", folder, "pelvis_no_sacrum.stl"))}


def _balance(config, run):
    """(n,) |spring force - load| / |load| of the radial springs at the solution."""
    from hipsim.hip_models import pressure_model
    layer = pressure_model(config.morphology, config.cartilage).layer
    res = run.pressure
    q = layer.position[None] - res.displacement_mm[:, None]
    u = q / np.linalg.norm(q, axis=2, keepdims=True)
    facing = np.maximum(0.0, -np.einsum("ei,fei->fe", layer.normal, u))
    force = np.einsum("fe,e,fe,fei->fi", res.pressure_map, layer.area, facing, u)
    load = np.linalg.norm(run.contact_force, axis=1)
    return np.linalg.norm(force - run.contact_force, axis=1) / np.maximum(load, 1e-9)


def _heel_strike(ds):
    """Frame of the first hip force peak of stance (heel strike / loading response)."""
    phase = ds["gait_phase"].values
    hcf = ds["hip_contact_force_resultant"].values
    stance = ds["grf"].sel(lab_axis="superior").values > 0.02
    toe_off = phase[np.argmax(~stance & (phase > 5))]
    early = phase < toe_off / 2
    return int(np.flatnonzero(early)[np.argmax(hcf[early])])


def _lunate_area(config):
    from hipsim.hip_models import pressure_model
    return float(pressure_model(config.morphology, config.cartilage).layer.area.sum())


def _hip_rows(rows, name, kind="walking", cartilage=None):
    config, run, ds = C.pipeline({**C.library_config(kind), "morphology": _morphology(name),
                                  "cartilage": {"pressure_map": True, **(cartilage or {})}})
    status = run.pressure.status
    ok = status == 0
    rel = _balance(config, run)
    label = name + ("" if cartilage is None else f", uniform {cartilage['thickness_mm']:g} mm cartilage")
    rows.append(C.row(f"{label}, {kind}: force balance of the radial springs",
                      f"worst {100 * rel[ok].max():.4f} % of the load over {int(ok.sum())} solved frames; "
                      f"{int((~ok).sum())} flagged" + (f" (residual {100 * rel[~ok].min():.1f}-"
                                                     f"{100 * rel[~ok].max():.1f} %)" if (~ok).any() else ""),
                      "< 0.1 % in every solved frame; the rest flagged", "issue 12", rel[ok].max() < 1e-3))
    if kind != "walking":
        k = int(np.argmax(np.where(ok, ds["contact_pressure_peak"].values, -1)))
        rows.append(C.row(f"{label}, {kind}: highest pressure of the cycle",
                          f"{float(ds['contact_pressure_peak'][k]):.1f} MPa, {float(ds['contact_area'][k]):.0f} mm2 at "
                          f"{float(ds['gait_phase'][k]):.0f} %GC ({float(ds['hip_contact_force_resultant'][k]):.2f} BW)",
                          "report (no FE/DEA study of running found)", "issue 12", None))
        return ds
    i = _heel_strike(ds)
    peak, mean, area = (float(ds[v][i]) for v in ("contact_pressure_peak", "contact_pressure_mean", "contact_area"))
    fraction = area / _lunate_area(config)
    hcf = float(ds["hip_contact_force_resultant"][i])
    rows.append(C.row(f"{label}, walking heel strike: peak pressure",
                      f"{peak:.1f} MPa at {hcf:.2f} BW ({float(ds['gait_phase'][i]):.0f} %GC)"
                      + ("" if ok[i] else " (frame flagged)"),
                      "FE 7.52 +- 2.11 MPa at 2.33 BW", SRC_HARRIS, ok[i] and abs(peak - 7.52) <= 2.11))
    rows.append(C.row(f"{label}, walking heel strike: mean pressure and contact area",
                      f"mean {mean:.1f} MPa; {area:.0f} mm2 = {100 * fraction:.0f} % of the lunate cartilage",
                      "DEA mean 3.0-3.7 MPa; film 322-425 mm2; FE 34 % of the cartilage", SRC_ABRAHAM, None))
    return ds


def run(outdir):
    FIGURES.clear()
    FINDINGS.clear()
    rows = _analytic_rows()
    walks = {name: _hip_rows(rows, name) for name in ("atlas", *SUBJECTS)}
    uniform = _hip_rows(rows, "atlas", cartilage={"thickness_mm": 2.0})
    _hip_rows(rows, "atlas", kind="running")

    peaks, areas = [], []
    for lcea in LCEAS:
        _, run_, ds = C.pipeline({**C.library_config("walking"), "morphology": {"lce_angle_deg": lcea}})
        i = _heel_strike(ds)
        peaks.append(float(ds["contact_pressure_peak"][i]))
        areas.append(float(ds["contact_area"][i]))
    rows.append(C.row("atlas hip, walking heel strike over the LCEA (40 -> 15 deg): peak pressure and area",
                      " < ".join(f"{p:.2f}" for p in peaks) + " MPa; " + " > ".join(f"{a:.0f}" for a in areas) + " mm2",
                      "pressure rises and area falls as cover drops", SRC_COVER,
                      bool(np.all(np.diff(peaks) > 0) and np.all(np.diff(areas) < 0))))

    fig, (left, right) = C.new_figure(1, 2, figsize=(11, 4.2))
    for name, ds in {**walks, "atlas, uniform 2 mm": uniform}.items():
        ok = ds["contact_pressure_status"].values == 0
        left.plot(ds["gait_phase"], np.where(ok, ds["contact_pressure_peak"], np.nan), label=name)
        right.plot(ds["gait_phase"], np.where(ok, ds["contact_area"], np.nan), label=name)
    left.axhspan(7.52 - 2.11, 7.52 + 2.11, color="0.8", label="Harris 2012 FE, heel strike")
    left.axhspan(9.8, 13.6, color="0.92", label="Abraham 2013 DEA")
    left.set(xlabel="gait cycle [%]", ylabel="peak cartilage pressure [MPa]", title="Walking: peak pressure")
    right.axhspan(322, 425, color="0.85", label="Anderson 2008 film")
    right.set(xlabel="gait cycle [%]", ylabel="contact area [mm2]", title="Walking: contact area")
    left.legend(fontsize=7)
    right.legend(fontsize=7)
    FIGURES.append(C.save(fig, outdir, "pressure_walking_hips.png"))

    FINDINGS.append(
        "By default the cartilage fills the joint space: each element's thickness is the bone gap in the neutral "
        "pose, so the layer touches the head everywhere unstressed and the joint is congruent by construction. "
        "The load then spreads over most of the lunate surface and the peaks at heel strike are low and the areas "
        "large against FE and DEA models built on segmented cartilage surfaces, whose incongruity concentrates "
        "the load (Harris 2012's contact covers 34 % of the cartilage). The atlas is the extreme case: its mean "
        "socket was smaller than its mean head and was reamed to a sphere, a perfectly congruent dome. The real "
        "subjects keep their own, uneven joint space and so concentrate more (ICL's shallow socket most, its load "
        "near the lateral edge).")
    FINDINGS.append(
        "A uniform 2 mm layer (cartilage.thickness_mm: 2, thinner than the atlas's 3.1 mm joint space) leaves "
        "a gap the head closes first where the bones are nearest: peak and area at heel strike then fall inside "
        "Harris's FE band, just below Abraham's DEA range, and inside Anderson's film area. That is an option, "
        "not the default (the issue asks for layers that fill the joint space): which layer "
        "matches a patient depends on cartilage that CT and these meshes do not show, and choosing the default "
        "by the validation target would be tuning.")
    FINDINGS.append(
        "Trimming the atlas's rim (LCEA 40 -> 15 deg) shrinks the contact area at heel strike steadily, but the "
        "peak stays within 0.1 MPa until the cover is dysplastic (a dip of 0.03 MPa from 40 to 30 deg misses "
        "the monotonic rise): the congruent, filled layer carries the heel-strike load on the dome, medial to "
        "the lateral rim that is trimmed, so only a shallow socket moves load onto the edge.")
    FINDINGS.append(
        "Force balance holds to < 0.1 % in every solved frame. Frames the DEA cannot balance are flagged: on ICL "
        "at push-off the load points past the edge of the shallow socket's cartilage and no head position balances "
        "it (a global search of the residual finds no better point than the solver's ~1 %); a cam deep in the "
        "socket levers the head out more than three cartilage thicknesses ('no support').")
    return rows
