"""Impingement and range of motion of parametric hips against published behaviour.

- A normal hip (alpha 42, LCEA 30, versions 19/12) must not overlap in walking or running.
- A cam hip in the FADIR test overlaps on the anterosuperior rim (about 12 to 3 o'clock,
  TARGETS.md; Ganz et al. 2003 Clin Orthop 417:112); reported over cam size and cam position.
- Impingement-free flexion beside the CT motion simulation of Hetsroni et al. 2013 (Clin Orthop
  Relat Res 471:2497): 120 deg with a type I anterior inferior iliac spine.
- Impingement-free internal rotation at 90 deg flexion falls as the alpha angle rises and as
  acetabular cover or retroversion grows; beside it, the 3D-computational impingement testing of
  Audenaert et al. 2012 (Am J Sports Med 40:1329): 27.9 deg in healthy controls, 21.1 deg in
  asymptomatic hips with cam features, 12.3 deg in FAI patients.
Nothing is tuned: each row is what the geometry gives.
"""
from __future__ import annotations

import numpy as np

import _common as C

TITLE = "Impingement: clearance over motions and range of motion (parametric hips)"
FIGURES, FINDINGS = [], []
SRC_CLOCK = "TARGETS.md (anterosuperior rim, 12-3 o'clock, right hip)"
SRC_ROM = "Audenaert et al. 2012 Am J Sports Med 40:1329 (3D impingement testing)"
SRC_FLEXION = "Hetsroni et al. 2013 Clin Orthop Relat Res 471:2497 (CT motion simulation by AIIS type)"
ALPHAS = (42.0, 50.0, 60.0, 70.0, 80.0)


def _rom_at_90(overrides):
    from hipsim import load_config
    from hipsim.rom import range_of_motion
    config = load_config({"morphology": overrides, "rom": {"flexion_start_deg": 90.0, "flexion_stop_deg": 90.0}})
    ds = range_of_motion(config)
    return float(ds["max_internal_rotation"].values[0]), float(ds["limit_clock"].values[0]), float(ds["max_flexion"])


def run(outdir):
    FIGURES.clear()
    FINDINGS.clear()
    rows = []
    for kind in ("walking", "running"):
        _, _, ds = C.pipeline(C.library_config(kind))
        clearance = ds["impingement_clearance"].values
        i = int(np.argmin(clearance))
        rows.append(C.row(f"normal hip, {kind}: minimum clearance over the cycle",
                          f"{clearance[i]:.1f} mm at {ds['gait_phase'].values[i]:.0f} %GC",
                          "> 0 mm (no bony overlap)", "TARGETS.md (impingement behaviour)", clearance[i] > 0))

    # FADIR (flexion 90, adduction 15, internal rotation 35) over cam size and cam position
    fadir_min = {}
    for alpha, cam_clock in ((60.0, 1.5), (75.0, 1.5), (85.0, 1.5), (90.0, 1.5), (75.0, 2.0), (75.0, 2.5)):
        _, _, fadir = C.pipeline({"activity": {"kind": "fadir"},
                                  "morphology": {"alpha_angle_deg": alpha, "cam_clock": cam_clock}})
        clearance = fadir["impingement_clearance"].values
        i = int(np.argmin(clearance))
        fadir_min[(alpha, cam_clock)] = (float(clearance[i]), float(fadir["impingement_clock"].values[i]),
                                         float(fadir["impingement_overlap_area"].values[i]))
    for (alpha, cam_clock), (clearance, clock, area) in fadir_min.items():
        rows.append(C.row(f"FADIR, cam alpha {alpha:.0f} at {cam_clock:g} h: minimum clearance and where",
                          f"{clearance:.2f} mm at {clock:.1f} h, overlap area {area:.0f} mm2",
                          "report (overlap grows with the cam)", SRC_CLOCK, None))
    clearance, clock, _ = fadir_min[(90.0, 1.5)]
    # 'about 12 to 3 o'clock': the quadrant, with half an hour of slack at its superior end
    anterosuperior = clock >= 11.5 or clock <= 3.0
    rows.append(C.row("large cam (alpha 90, apex 1.5 h) in FADIR: bony overlap on the anterosuperior rim",
                      f"{clearance:.2f} mm at {clock:.2f} h", "< 0 mm, about 12-3 h", SRC_CLOCK,
                      clearance < 0 and anterosuperior))
    rows.append(C.row("FADIR clearance falls as the cam grows (apex 1.5 h, alpha 60 > 75 > 85 > 90)",
                      " > ".join(f"{fadir_min[(a, 1.5)][0]:.2f}" for a in (60.0, 75.0, 85.0, 90.0)),
                      "monotonic decrease", "issue 3",
                      bool(np.all(np.diff([fadir_min[(a, 1.5)][0] for a in (60.0, 75.0, 85.0, 90.0)]) < 0))))

    internal = []
    for alpha in ALPHAS:
        ir, limit_clock, max_flexion = _rom_at_90({"alpha_angle_deg": alpha})
        if alpha == ALPHAS[0]:
            max_flexion_normal = max_flexion
        internal.append(ir)
        normal = alpha == ALPHAS[0]
        rows.append(C.row(f"internal rotation at 90 deg flexion, alpha {alpha:.0f}",
                          f"{ir:.1f} deg (contact at {limit_clock:.1f} h); max flexion {max_flexion:.0f} deg",
                          "healthy 27.9 +- 10 deg" if normal else "report; healthy 27.9, cam 21.1, FAI 12.3 deg",
                          SRC_ROM, abs(ir - 27.9) <= 10.0 if normal else None))
    rows.append(C.row("impingement-free flexion, normal hip (neutral adduction and rotation)",
                      f"{max_flexion_normal:.0f} deg" + (" (search limit: no bony contact)"
                                                          if max_flexion_normal >= 150 else ""),
                      "about 120 deg (Hetsroni type I AIIS: 120; type II 107; type III 93)", SRC_FLEXION,
                      abs(max_flexion_normal - 120.0) <= 15.0))
    falling = bool(np.all(np.diff(internal) <= 0.5) and internal[-1] < internal[0])
    rows.append(C.row("internal rotation at 90 deg falls as the alpha angle grows",
                      " > ".join(f"{x:.1f}" for x in internal), "monotonic decrease", "issue 3", falling))
    for label, overrides in (("LCEA 40 (deep)", {"lce_angle_deg": 40.0}),
                             ("acetabular version 5 (retroverted)", {"acetabular_version_deg": 5.0}),
                             ("LCEA 18 (dysplastic)", {"lce_angle_deg": 18.0})):
        ir, limit_clock, _ = _rom_at_90(overrides)
        rows.append(C.row(f"internal rotation at 90 deg flexion, {label}",
                          f"{ir:.1f} deg (normal {internal[0]:.1f})", "pincer lower, dysplasia higher",
                          "issue 3", (ir < internal[0]) if "dysplastic" not in label else (ir >= internal[0])))

    fig, ax = C.new_figure(figsize=(6, 4))
    ax.plot(ALPHAS, internal, "o-", label="hipsim, parametric hip")
    for value, text in ((27.9, "healthy"), (21.1, "asymptomatic cam"), (12.3, "FAI patients")):
        ax.axhline(value, ls=":", c="k")
        ax.text(ALPHAS[0], value + 0.5, f"Audenaert 2012: {text}", fontsize=7)
    ax.set(xlabel="alpha angle [deg]", ylabel="max internal rotation at 90 deg flexion [deg]")
    ax.legend(fontsize=8)
    FIGURES.append(C.save(fig, outdir, "impingement_rom_alpha.png"))
    FINDINGS.append("Internal rotation at 90 deg of flexion is limited by the head-neck junction meeting the "
                    "anterosuperior rim; a larger cam meets it earlier, and a cam centred further anteriorly "
                    "(2-2.5 h) overlaps in FADIR at smaller alpha angles and nearer 1 o'clock.")
    FINDINGS.append("Where the parametric hip is too free: impingement-free internal rotation at 90 deg is "
                    "about 20 deg above the CT collision studies, and flexion meets no bone before the search "
                    "limit. The parametric acetabulum is a 14 mm bony shell around the socket: it has no anterior "
                    "inferior iliac spine, anterior wall or pubic root beyond the rim, which end deep flexion in "
                    "the CT studies, and the femoral neck is circular. Patient meshes "
                    "(morphology.femur_mesh / acetabulum_mesh) carry their own bone and are not limited this way.")
    return rows
