"""Impingement and range of motion of real hips against the CT collision studies.

The default hip is the Auckland atlas mean pelvis and femur (hipsim.bones); the two real subjects
(LHDL CT cadaver, ICL MRI adult) run beside it. Range of motion is bone on bone, as in the CT
collision studies (no labrum, no soft tissue), in anatomical angles (anterior pelvic plane; the
femur's mechanical and posterior condylar axes):

- healthy hips: internal rotation at 90 deg flexion 27.9 deg (Audenaert et al. 2012, Am J Sports
  Med 40:1329, impingement testing; SD not in the abstract, the +-10 deg band is the issue's),
  35.2 +- 6.9 / 35 +- 12 deg (Kubiak-Langer et al. 2007, Clin Orthop 458:117; Tannast et al. 2007,
  J Orthop Res 25:122; both via Diamond et al. 2015, Br J Sports Med 49:230, Table 3); flexion
  122 +- 16.3 / 121 +- 11.8 deg; abduction 63.3 +- 10.9 / 63 +- 11.1 deg (same); flexion 120 deg
  with a type I anterior inferior iliac spine (Hetsroni et al. 2013, Clin Orthop 471:2497);
- FAI hips: internal rotation at 90 deg 11.1 +- 6.9 / 11.7 +- 7.1 deg (Kubiak-Langer, Tannast),
  12.3 deg (Audenaert; asymptomatic hips with cam features 21.1); flexion 105 deg;
- the cam's conflict in the anterosuperior quadrant (Audenaert et al. 2011, Arthroscopy 27:167):
  12-3 o'clock on a right hip;
- FADIR: the examiner's passive end point in hips without FAI, 82 deg flexion, 4 deg adduction,
  19 deg internal rotation (dynamic RSA, J Exp Orthop 2017, doi:10.1186/s40634-017-0096-2): a
  normal hip must clear there, a pathological cam must not.

Nothing is tuned: each row is what the bones give; misses are kept and explained in FINDINGS.
"""
from __future__ import annotations

import numpy as np

import _common as C

TITLE = "Impingement and range of motion of real hips (atlas and two subjects) against CT studies"
FIGURES, FINDINGS = [], []
SRC_AUDENAERT = "Audenaert 2012 Am J Sports Med 40:1329"
SRC_CT = "Kubiak-Langer 2007 Clin Orthop 458:117; Tannast 2007 J Orthop Res 25:122 (Diamond 2015 Table 3)"
SRC_HETSRONI = "Hetsroni 2013 Clin Orthop 471:2497"
SRC_CLOCK = "Audenaert 2011 Arthroscopy 27:167 (anterosuperior quadrant; 12-3 h on a right hip)"
SRC_FADIR = "J Exp Orthop 2017 doi:10.1186/s40634-017-0096-2 (passive FADIR end point)"
SUBJECTS = {"LHDL CT": "lhdl_ct", "ICL MRI": "icl_mri"}
ALPHAS = (55.0, 60.0, 70.0, 78.0, 85.0)
CAM_CLOCKS = (1.5, 2.0, 3.0)


def _subject(name):
    folder = SUBJECTS[name]
    return {"femur_mesh": str(C.ref("hip_geometry", folder, "femur_r.stl")),
            "acetabulum_mesh": str(C.ref("hip_geometry", folder, "pelvis_no_sacrum.stl"))}


def _rom(morphology, start=0.0, stop=120.0, step=10.0):
    from hipsim import load_config
    from hipsim.rom import range_of_motion
    config = load_config({"morphology": morphology,
                          "rom": {"flexion_start_deg": start, "flexion_stop_deg": stop, "flexion_step_deg": step}})
    return range_of_motion(config)


def _at(ds, name, flexion=90.0):
    return float(ds[name].sel(flexion=flexion))


def _ir90(ds):
    """Internal rotation at 90 deg flexion [deg]; 0 where the hip overlaps before it turns in
    (status 2: the cam already meets the rim at neutral rotation)."""
    if int(ds["internal_rotation_status"].sel(flexion=90.0)) == 2:
        return 0.0
    return _at(ds, "max_internal_rotation")


def _anterosuperior(clock):
    return bool(np.isfinite(clock) and (clock >= 11.5 or clock <= 3.0))


def _fadir(morphology):
    _, _, ds = C.pipeline({"activity": {"kind": "fadir", "frames": 41}, "morphology": morphology})
    c = ds["impingement_clearance"].values
    i = int(np.argmin(c))
    return ds, float(c[i]), float(ds["impingement_clock"].values[i])


def _healthy_rows(rows):
    ds = _rom({})
    ir90, clock = _at(ds, "max_internal_rotation"), _at(ds, "limit_clock")
    flexion, abduction = float(ds["max_flexion"]), float(ds["max_abduction"])
    status = {k: int(ds[k]) for k in ("flexion_status", "abduction_status")}
    rows.append(C.row("atlas hip: internal rotation at 90 deg flexion (bone on bone)",
                      f"{ir90:.1f} deg, contact at {clock:.1f} h", "healthy 27.9 +- 10 deg", SRC_AUDENAERT,
                      abs(ir90 - 27.9) <= 10.0))
    rows.append(C.row("atlas hip: internal rotation at 90 deg flexion vs the Bern CT studies",
                      f"{ir90:.1f} deg", "normal 35.2 +- 6.9 (Kubiak-Langer), 35 +- 12 (Tannast)", SRC_CT,
                      abs(ir90 - 35.2) <= 6.9))
    rows.append(C.row("atlas hip: the contact that ends internal rotation at 90 deg is anterosuperior",
                      f"{clock:.1f} h", "12-3 h", SRC_CLOCK, _anterosuperior(clock)))
    rows.append(C.row("atlas hip: maximum flexion, ended by bone (neutral adduction and rotation)",
                      f"{flexion:.1f} deg" + (" (bone contact at "
                                              f"{ds['max_flexion'].attrs['limit_clock_h']:.1f} h)"
                                              if status["flexion_status"] == 0 else " (no bone met)"),
                      "122 +- 16.3 (Kubiak-Langer), 121 +- 11.8 (Tannast); 120 with a type I AIIS (Hetsroni)",
                      f"{SRC_CT}; {SRC_HETSRONI}", status["flexion_status"] == 0 and abs(flexion - 122.0) <= 16.3))
    rows.append(C.row("atlas hip: maximum abduction, ended by bone (neutral flexion and rotation)",
                      f"{abduction:.1f} deg", "63.3 +- 10.9 (Kubiak-Langer), 63 +- 11.1 (Tannast)", SRC_CT,
                      status["abduction_status"] == 0 and abs(abduction - 63.3) <= 10.9))
    return ds


def _alpha_rows(rows, normal_ir90):
    from hipsim.hip_models import real_hip
    curves = {}
    for clock in CAM_CLOCKS:
        own = real_hip().own_alpha(clock)
        values = [(own, normal_ir90 if clock == 1.5 else _ir90(_rom({"cam_clock": clock}, 90.0, 90.0)))]
        for alpha in ALPHAS:
            if alpha > own + 1.0:
                ds = _rom({"alpha_angle_deg": alpha, "cam_clock": clock}, 90.0, 90.0)
                values.append((alpha, _ir90(ds)))
        curves[clock] = values
        falling = all(b[1] <= a[1] + 0.5 for a, b in zip(values, values[1:])) and values[-1][1] < values[0][1]
        rows.append(C.row(f"internal rotation at 90 deg flexion over the alpha angle, cam at {clock:g} h",
                          ", ".join(f"{a:.0f}: {ir:.1f}" for a, ir in values)
                          + " (alpha: IR deg; 0: the cam meets the rim before any internal rotation)",
                          "falls as the cam grows", f"{SRC_CT}; {SRC_AUDENAERT}", falling))
    anterior = dict(curves[3.0])
    rows.append(C.row("pathological cam (alpha 78 at 3 h, Noetzli's plane): internal rotation at 90 deg",
                      f"{anterior[78.0]:.1f} deg", "FAI 11.1 +- 6.9 (Kubiak-Langer), 11.7 +- 7.1 (Tannast), 12.3 "
                      "(Audenaert)", f"{SRC_CT}; {SRC_AUDENAERT}", abs(anterior[78.0] - 11.1) <= 6.9))
    superior = dict(curves[1.5])
    rows.append(C.row("the same cam at 1.5 h (anterosuperior): internal rotation at 90 deg",
                      f"{superior[78.0]:.1f} deg", "FAI 11.1 +- 6.9", SRC_CT, abs(superior[78.0] - 11.1) <= 6.9))
    return curves


def _socket_rows(rows, normal_ir90):
    for label, morphology, expect in (
            ("acetabular version 5 deg (retroverted socket)", {"acetabular_version_deg": 5.0}, "lower"),
            ("cranial version -5 deg (crossover sign)", {"cranial_version_deg": -5.0}, "lower"),
            ("LCEA 30 deg (less cover than the atlas's 48)", {"lce_angle_deg": 30.0}, "higher"),
            ("LCEA 55 deg (more cover, global pincer)", {"lce_angle_deg": 55.0}, "lower")):
        ds = _rom(morphology, 90.0, 90.0)
        ir = _at(ds, "max_internal_rotation")
        ok = ir < normal_ir90 if expect == "lower" else ir > normal_ir90
        rows.append(C.row(f"internal rotation at 90 deg flexion, {label}",
                          f"{ir:.1f} deg (atlas {normal_ir90:.1f}), contact at {_at(ds, 'limit_clock'):.1f} h",
                          f"{expect} than the atlas's", "direction: Kubiak-Langer 2007 (pincer, retroversion)", ok))


def _fadir_rows(rows):
    normal, clearance, clock = _fadir({})
    rows.append(C.row("atlas hip, passive FADIR to the examiner's end point: clearance",
                      f"{clearance:.2f} mm (closest at {clock:.1f} h)", "> 0 (a normal hip clears)", SRC_FADIR,
                      clearance > 0))
    rows.append(C.row("passive FADIR, atlas hip: activations and hip contact force",
                      f"max activation {float(normal['muscle_activation'].max()):.3g}; contact force "
                      f"{float(normal['hip_contact_force_resultant'].max()):.2f} BW (passive muscle pull)",
                      "activations 0; contact < 1 BW", "issue 12",
                      float(normal["muscle_activation"].max()) == 0.0
                      and float(normal["hip_contact_force_resultant"].max()) < 1.0))
    table = {}
    for clock_h in (1.5, 3.0):
        for alpha in (60.0, 70.0, 78.0, 85.0):
            _, c, where = _fadir({"alpha_angle_deg": alpha, "cam_clock": clock_h})
            table[(alpha, clock_h)] = (c, where)
    rows.append(C.row("passive FADIR: minimum clearance of cams, alpha 60 / 70 / 78 / 85",
                      "; ".join(f"{h:g} h: " + ", ".join(f"{table[(a, h)][0]:.2f}" for a in (60.0, 70.0, 78.0, 85.0))
                                for h in (1.5, 3.0)) + " mm",
                      "report: falls as the cam grows", SRC_FADIR, None))
    c, where = table[(78.0, 3.0)]
    rows.append(C.row("pathological cam (alpha 78 at 3 h) in passive FADIR: bony overlap on the anterosuperior rim",
                      f"{c:.2f} mm at {where:.1f} h", "< 0 mm at 12-3 h", f"{SRC_FADIR}; {SRC_CLOCK}",
                      c < 0 and _anterosuperior(where)))
    return table


def _subject_rows(rows, atlas_rom):
    from hipsim.hip_models import measured_morphology
    from hipsim import load_config
    hips = {"atlas": ({}, atlas_rom)}
    for name in SUBJECTS:
        m = _subject(name)
        hips[name] = (m, _rom(m))
    for name, (m, ds) in hips.items():
        own = measured_morphology(load_config({"morphology": m}).morphology)
        walk = C.pipeline({**C.library_config("walking"), "morphology": m})[2]["impingement_clearance"].values
        run = C.pipeline({**C.library_config("running"), "morphology": m})[2]["impingement_clearance"].values
        _, fadir, fadir_clock = _fadir(m)
        rows.append(C.row(f"{name}: shape measured by hipsim",
                          f"alpha {own['alpha_angle_3h_deg']:.0f} (3 h) / {own['alpha_angle_deg']:.0f} (1.5 h), "
                          f"offset {own['head_neck_offset_mm']:.1f} mm, head R {own['head_radius_mm']:.1f} mm, "
                          f"NSA {own['neck_shaft_angle_deg']:.0f}, femoral version {own['femoral_version_deg']:.0f}, "
                          f"LCEA {own['lce_angle_deg']:.0f}, acetabular version {own['acetabular_version_deg']:.0f}, "
                          f"cranial {own['cranial_version_deg']:.0f} deg", "report", "hipsim.measure", None))
        ir90 = _at(ds, "max_internal_rotation")
        rows.append(C.row(f"{name}: internal rotation at 90 deg / max flexion / max abduction",
                          f"{ir90:.1f} / {float(ds['max_flexion']):.1f} / {float(ds['max_abduction']):.1f} deg; "
                          f"IR at 90 deg stopped at {_at(ds, 'limit_clock'):.1f} h",
                          "healthy 27.9 +- 10 / 122 +- 16.3 / 63.3 +- 10.9", f"{SRC_AUDENAERT}; {SRC_CT}", None))
        rows.append(C.row(f"{name}: minimum clearance in walking / running / passive FADIR",
                          f"{walk.min():.2f} / {run.min():.2f} / {fadir:.2f} mm (FADIR closest at {fadir_clock:.1f} h)",
                          "> 0 in walking and running", "issue 12", bool(walk.min() > 0 and run.min() > 0)))
    return hips


def run(outdir):
    FIGURES.clear()
    FINDINGS.clear()
    rows = []
    for kind in ("walking", "running"):
        _, _, ds = C.pipeline(C.library_config(kind))
        clearance = ds["impingement_clearance"].values
        i = int(np.argmin(clearance))
        rows.append(C.row(f"atlas hip, {kind}: minimum clearance over the cycle",
                          f"{clearance[i]:.2f} mm at {ds['gait_phase'].values[i]:.0f} %GC",
                          "> 0 mm (no bony overlap)", "issue 12", clearance[i] > 0))
    atlas = _healthy_rows(rows)
    normal_ir90 = _at(atlas, "max_internal_rotation")
    curves = _alpha_rows(rows, normal_ir90)
    _socket_rows(rows, normal_ir90)
    fadir = _fadir_rows(rows)
    hips = _subject_rows(rows, atlas)

    fig, (left, right) = C.new_figure(1, 2, figsize=(11, 4.2))
    for clock, values in curves.items():
        a, ir = np.array(values).T
        left.plot(a, ir, "o-", label=f"atlas, cam at {clock:g} h")
    left.axhspan(27.9 - 10, 27.9 + 10, color="tab:green", alpha=0.12, label="healthy (Audenaert 2012)")
    left.axhspan(11.1 - 6.9, 11.1 + 6.9, color="tab:red", alpha=0.12, label="FAI (Kubiak-Langer 2007)")
    left.set(xlabel="alpha angle [deg] (first point: the femur's own)",
             ylabel="internal rotation at 90 deg flexion [deg]", title="Cam size and position")
    left.legend(fontsize=7)
    for name, (_, ds) in hips.items():
        right.plot(ds["flexion"], ds["max_internal_rotation"], "o-", ms=3, label=name)
    cam = _rom({"alpha_angle_deg": 78.0, "cam_clock": 3.0})
    right.plot(cam["flexion"], cam["max_internal_rotation"], "s--", ms=3, label="atlas, cam alpha 78 at 3 h")
    right.errorbar([90.0], [35.2], yerr=[6.9], fmt="k^", capsize=3, label="normal, CT (Kubiak-Langer 2007)")
    right.errorbar([90.5], [11.1], yerr=[6.9], fmt="kv", capsize=3, label="FAI, CT (Kubiak-Langer 2007)")
    right.set(xlabel="hip flexion [deg] (anterior pelvic plane)", ylabel="max internal rotation [deg]",
              title="Impingement-free internal rotation", ylim=(0, 92))
    right.legend(fontsize=7)
    FIGURES.append(C.save(fig, outdir, "impingement_rom.png"))

    flexion = float(atlas["max_flexion"])
    abduction = float(atlas["max_abduction"])
    FINDINGS.append(
        f"The atlas hip's internal rotation at 90 deg ({normal_ir90:.1f} deg) lies in Audenaert's healthy band but "
        "below the Bern group's 35 +- 7 deg (a miss by about 2 deg at the band's edge); its flexion "
        f"({flexion:.0f} deg) is ended by bone (the anterosuperior rim) inside the CT range. Its abduction "
        f"({abduction:.0f} deg) misses the CT studies' 63 +- 11 deg: the atlas is a mean of 26 hips whose rim is "
        "smoothed and flared, its lateral centre-edge angle measures 48 deg (a deep socket; normal 25-39), and a "
        "deep lateral rim ends abduction and internal rotation early. Set to LCEA 30 deg the same hip turns in "
        "to ~46 deg. Nothing was tuned to bring either into its band.")
    FINDINGS.append(
        "A cam at the anterior head-neck junction (3 h, Noetzli's plane) takes internal rotation at 90 deg into "
        "the FAI range of the CT studies (and from alpha ~85 deg the cam meets the rim before the hip turns in). "
        "The same cam centred at 1.5 h (anterosuperior) misses that band: internal rotation at 90 deg turns the "
        "anterior junction into the rim, and a cam at 1.5 h reaches 3 h only with its flank (hipsim's bump "
        "fades out 2.5 h either side of its centre), so it limits flexion and rotation at 30-60 deg of flexion "
        "instead. The CT studies give the worst alpha angle of a hip without its position, and real cams are "
        "broad (often 12 to 3 h); a broader bump would move the 1.5 h row toward the band, which is a modelling "
        "choice left open rather than tuned.")
    c78, _ = fadir[(78.0, 3.0)]
    FINDINGS.append(
        f"Passive FADIR to the examiner's end point of hips without FAI (90 deg flexion, 5 deg adduction, 20 deg "
        f"internal rotation): the atlas hip clears the rim and the pathological cam at 3 h overlaps it "
        f"({c78:.2f} mm). The contact force is the passive muscles' pull only (the examiner holds the leg).")
    FINDINGS.append(
        "The two real subjects run through the same commands from their own meshes (found landmarks, frames and "
        "shape). LHDL is a female cadaver with a roomy joint (large internal rotation, flexion to the upper end "
        "of the CT range); ICL's socket is shallow (LCEA about 18 deg, dysplastic), so little bone stops its "
        "motion: its ranges exceed the CT studies' healthy means, as expected of a dysplastic hip.")
    return rows
