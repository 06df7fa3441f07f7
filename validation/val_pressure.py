"""Cartilage contact pressure (discrete element analysis) against a closed form and published data.

- The closed-form DEA of a sphere in a congruent hemispherical socket under a central load.
- Force balance: the element forces add up to the hip contact force in every frame.
- A normal hip in walking against Harris et al. 2012 (J Orthop Res 30:1133; FE, peak 7.5 +- 2.1
  MPa at heel strike) and Abraham et al. 2013 (J Biomech 46:1121; DEA of the same hips, 9.8-13.6
  MPa; contact areas 300-1100 mm2 across methods).
- Pressure and area against lateral cover: DEA studies find higher pressure and smaller contact
  area as the centre-edge angle falls toward dysplasia (Genda et al. 2001, J Biomech 34:895;
  Russell et al. 2006, J Orthop Surg Res 1:6).
Nothing is tuned: cartilage E 12 MPa, nu 0.45, thickness 2 mm (the contract defaults).
"""
from __future__ import annotations

import numpy as np

import _common as C

TITLE = "Cartilage contact pressure (DEA)"
FIGURES, FINDINGS = [], []
SRC_ANALYTIC = "closed form (hipsim.pressure.concentric_solution)"
SRC_WALK = "Harris 2012 J Orthop Res 30:1133 (FE); Abraham 2013 J Biomech 46:1121 (DEA)"
SRC_COVER = "Genda 2001 J Biomech 34:895; Russell 2006 J Orthop Surg Res 1:6 (direction)"
LCEAS = (40.0, 30.0, 25.0, 20.0, 15.0)


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


def _balance(ds, config):
    from hipsim.pipeline import pressure_model
    layer = pressure_model(config.morphology, config.cartilage).layer
    from hipsim.gait import G
    load = ds["hip_contact_force"].values * config.subject.mass_kg * G
    force = -np.einsum("fe,e,ei->fi", ds["contact_pressure"].values, layer.area, layer.normal)
    return np.linalg.norm(force - load, axis=1) / np.maximum(np.linalg.norm(load, axis=1), 1e-9)


def run(outdir):
    FIGURES.clear()
    FINDINGS.clear()
    rows = _analytic_rows()
    runs = {}
    for kind in ("walking", "running"):
        config, _, ds = C.pipeline({**C.library_config(kind), "cartilage": {"pressure_map": True}})
        runs[kind] = ds
        rel = _balance(ds, config)
        flagged = int(np.count_nonzero(ds["contact_pressure_status"].values))
        rows.append(C.row(f"force balance, {kind} (every frame)",
                          f"worst residual {100 * rel.max():.4f} % of the load; {flagged} frames flagged",
                          "< 0.1 % in every frame", "issue 4", rel.max() < 1e-3 and flagged == 0))

    walk = runs["walking"]
    phase = walk["gait_phase"].values
    hcf = walk["hip_contact_force_resultant"].values
    stance = walk["grf"].sel(axis="superior").values > 0.02
    toe_off = phase[np.argmax(~stance & (phase > 5))]
    early = phase < toe_off / 2
    i = int(np.flatnonzero(early)[np.argmax(hcf[early])])
    peak, area = float(walk["contact_pressure_peak"][i]), float(walk["contact_area"][i])
    rows.append(C.row("normal hip, walking, first force peak (heel strike / loading response)",
                      f"{peak:.1f} MPa peak, {area:.0f} mm2 at {hcf[i]:.2f} BW ({phase[i]:.0f} %GC)",
                      "FE 7.5 +- 2.1 MPa; DEA 9.8-13.6 MPa; area 300-1100 mm2", SRC_WALK,
                      5.4 <= peak <= 13.6))
    j = int(np.argmax(walk["contact_pressure_peak"].values))
    rows.append(C.row("normal hip, walking: highest pressure of the cycle",
                      f"{float(walk['contact_pressure_peak'][j]):.1f} MPa, {float(walk['contact_area'][j]):.0f} mm2 "
                      f"at {phase[j]:.0f} %GC ({hcf[j]:.2f} BW)", "report", SRC_WALK, None))
    run_ds = runs["running"]
    k = int(np.argmax(run_ds["contact_pressure_peak"].values))
    rows.append(C.row("normal hip, running 3.5 m/s: highest pressure of the cycle",
                      f"{float(run_ds['contact_pressure_peak'][k]):.1f} MPa, {float(run_ds['contact_area'][k]):.0f} mm2 "
                      f"at {float(run_ds['gait_phase'][k]):.0f} %GC "
                      f"({float(run_ds['hip_contact_force_resultant'][k]):.2f} BW)", "report", "issue 4", None))

    # lateral cover: the same walking cycle, only the LCEA changes; compared at the first force
    # peak (the heel-strike load case of Harris 2012), load into the dome
    peaks, areas, curves = [], [], {}
    for lcea in LCEAS:
        _, _, ds = C.pipeline({**C.library_config("walking"), "morphology": {"lce_angle_deg": lcea}})
        ok = ds["contact_pressure_status"].values == 0
        pk = ds["contact_pressure_peak"].values
        m = int(np.argmax(np.where(ok, pk, -1.0)))
        peaks.append(float(pk[i]))
        areas.append(float(ds["contact_area"][i]))
        curves[lcea] = np.where(ok, pk, np.nan)
        rows.append(C.row(f"walking, LCEA {lcea:.0f} deg: first force peak / highest supported pressure",
                          f"{peaks[-1]:.2f} MPa, {areas[-1]:.0f} mm2 at {phase[i]:.0f} %GC / {pk[m]:.1f} MPa, "
                          f"{float(ds['contact_area'][m]):.0f} mm2 at {phase[m]:.0f} %GC"
                          + (f"; {int((~ok).sum())} frames flagged unsupported (head leaves the cover)"
                             if (~ok).any() else ""),
                          "report", SRC_COVER, None))
    rows.append(C.row("first force peak: pressure rises and contact area falls as the LCEA drops (40 -> 15 deg)",
                      " < ".join(f"{p:.2f}" for p in peaks) + " MPa; " + " > ".join(f"{a:.0f}" for a in areas) + " mm2",
                      "monotonic", SRC_COVER, bool(np.all(np.diff(peaks) > 0) and np.all(np.diff(areas) < 0))))

    fig, ax = C.new_figure(figsize=(6.5, 4))
    for lcea, curve in curves.items():
        ax.plot(phase, curve, label=f"LCEA {lcea:.0f} deg")
    ax.axhspan(7.5 - 2.1, 7.5 + 2.1, color="0.85", label="Harris 2012 FE, heel strike")
    ax.axhspan(9.8, 13.6, color="0.93", label="Abraham 2013 DEA")
    ax.set(xlabel="gait cycle [%]", ylabel="peak cartilage pressure [MPa] (flagged frames left out)")
    ax.legend(fontsize=7)
    FIGURES.append(C.save(fig, outdir, "pressure_walking_lcea.png"))
    FINDINGS.append("The parametric hip is a sphere in a congruent socket, so at heel strike the load spreads "
                    "over most of the lunate surface and the peak is low against subject-specific models; "
                    "idealised spherical geometry is known to lower and even out predicted hip contact "
                    "pressures (Anderson et al. 2010, J Biomech 43:1351). Pressure concentrates, and reaches "
                    "the published range, where the load points toward the rim: late stance in walking, "
                    "early stance in running, and any time the lateral cover is small.")
    return rows
