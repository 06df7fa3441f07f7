"""Running and sprinting hip contact force: peaks, timing in stance, loading rate.

The built-in cycles on running's defaults (running 2.5/3.5/4.5 m/s: Hamner 2010 subject02's
measured cycle, carried to those speeds by Fukuchi 2017 runner RBDS001's speed effects; sprinting
9 m/s from Dorn 2012; RajagopalLaiUhlrich2023 scaled to 70 kg / 1.75 m), then every running
trial through every muscle model. There is no in-vivo running curve in the reference data: the literature values
below are reported beside hipsim's, with what could and could not be verified. OpenSim's Hamner
running result is an exploratory side note (18 of 91 frames failed in OpenSim).
"""
from __future__ import annotations

import numpy as np

import _common as C
from hipsim.gait import read_opensim_table

TITLE = "Running and sprinting: hip contact force peaks, timing, loading rate"
FIGURES, FINDINGS = [], []

#: (kind, requested speed); the sprint is the library's single trial at its own speed (nominal
#: 9 m/s, Dorn 2012; the file records the measured speed).
CASES = (("running", 2.5), ("running", 3.5), ("running", 4.5), ("sprinting", None))

#: Literature, each with what was checked. Numbers marked unverified come from memory and could
#: not be checked against the paper here.
LITERATURE = (
    ("Bergmann, Graichen, Rohlmann 1993, J Biomech 26(8):969-990",
     "in vivo, 2 patients with instrumented THR: jogging (and very fast walking) about 5.5 BW "
     "(median peaks); walking 1-5 km/h 2.8-4.8 BW in patient 1",
     "verified (abstract)"),
    ("van den Bogert, Read, Nigg 1999, Med Sci Sports Exerc 31(1):131-142",
     "hip joint force from an accelerometer-driven model, walking, running and skiing; running peaks "
     "around 4-5 BW",
     "citation verified (the brief's 'J Biomech 32:1293' is not this paper); numbers unverified"),
    ("Giarmatzis, Jonkers, Wesseling, Van Rossom, Verschueren 2015, J Bone Miner Res, 'Loading of hip "
     "measured by hip contact forces at different speeds of walking and running'",
     "musculoskeletal model, treadmill running 6-12 km/h: mean stance peaks 6.42 / 7.72 / 8.98 BW at "
     "1.67 / 2.50 / 3.33 m/s, at 15-19 %GC; swing peaks 2-5 BW",
     "second-hand: maxima of the mean curves digitised by basgoncalves/bioscout "
     "(literature_curves.csv); the paper's text, subject count and model not checked"),
    ("Schache, Lin, Crossley, Pandy 2018, Med Sci Sports Exerc, doi:10.1249/MSS.0000000000001689",
     "'Is running better than walking for reducing hip joint loads?': running HCF peaks larger than "
     "walking per step, but lower per unit distance",
     "title and doi verified; numbers unverified"),
)


def _stance(ds):
    """(stance mask, foot-strike index 0, toe-off index) from the vertical GRF (> 20 N)."""
    mask = C.stance_mask(ds)
    off = np.flatnonzero(~mask & (np.arange(len(mask)) > 0))
    toe_off = int(off[0]) if len(off) else len(mask) - 1
    return mask, toe_off


def _diagnostics(run_):
    """Where the centre of pressure lies relative to the hip centre at peak vertical GRF [m]
    (ground axes: + forward, + lateral) and the pelvis height."""
    from hipsim.kinematics import forward_kinematics
    _, origin = forward_kinematics(run_.model, run_.dynamics.q)
    femur = run_.model.body_names.index("femur_r")
    i = int(np.argmax(run_.trial.grf[:, 1]))
    d = run_.dynamics.cop_ground[i] - origin[i, femur]
    return float(d[0]), float(d[2]), float(-d[1])


def _hamner():
    base = ("opensim", "results", "run_hamner_100Hz")
    right = np.loadtxt(C.ref(*base, "hip_r_resultant_partial.txt"))
    left = np.loadtxt(C.ref(*base, "hip_l_resultant_leftcycle.txt"))
    return right, left


#: muscle models compared on the running trials: (label, a shipped model's name, or
#: model.osim_file parts under the shared reference (used as it is, with its own mass))
MODELS = (("gait2392", "gait2392"),
          ("RajagopalLaiUhlrich2023 (model.name: rajagopal2023, running's default, scaled to 70 kg / 1.75 m)",
           "rajagopal2023"),
          ("Rajagopal2016", ("opensim", "rajagopal2016_running", "Rajagopal2016.osim")))
#: running trials: (label, activity section)
TRIALS = (("Fukuchi composite 3.5 m/s", {"kind": "running", "speed_m_s": 3.5, "trial": "fukuchi2017"}),
          ("Hamner 2010 measured 3.84 m/s", {"kind": "running", "trial": "hamner2010"}),
          *((f"Hamner carried to {v} m/s", {"kind": "running", "trial": "hamner2010", "speed_m_s": v})
            for v in (2.5, 3.5, 4.5)))
FLAGGED_AIM = 0.05          # issue 13: fewer than 5 % of frames flagged
SWING_STEP_AIM_BW = 0.5     # issue 13: no swing spike, frame-to-frame change below 0.5 BW


def _swing_step(ds):
    """Largest frame-to-frame change of the hip contact force between two frames without
    ground contact [BW]."""
    airborne = ds["grf"].sel(lab_axis="superior").values == 0.0
    both = airborne[1:] & airborne[:-1]
    return float(np.abs(np.diff(ds["hip_contact_force_resultant"].values))[both].max())


def trial_and_model_rows():
    """Every running trial through every muscle model: flagged frames, the reserve they needed,
    the stance peak and the swing's largest step (the model's own body, the subject's mass)."""
    from hipsim.model import whole_body_mass
    rows, table = [], {}
    for trial_label, activity in TRIALS:
        for model_label, parts in MODELS:
            config = {"activity": {**activity, "frames": 101}}
            if isinstance(parts, str):
                config["model"] = {"name": parts}
            elif parts is not None:
                path = C.ref(*parts)
                if not path.exists():
                    continue
                config["model"] = {"osim_file": str(path)}
                # the GRF in body weights drives the model's own body: its mass, not the 70 kg default
                config["subject"] = {"mass_kg": whole_body_mass(path)}
            _, _, ds = C.pipeline(config)
            status = ds["solver_status"].values
            flagged = int(np.count_nonzero(status))
            reserve = np.abs(ds["reserve_moment"].values).max(axis=0)
            peak = float(ds["hip_contact_force_resultant"].max())
            step = _swing_step(ds)
            table[(trial_label, model_label)] = (flagged, reserve, peak, step)
            rows.append(C.row(
                f"{trial_label}, {model_label}: frames flagged; largest hip reserve flex/add/rot; "
                f"peak HCF; largest swing step",
                f"{flagged} of {len(status)}; {reserve[0]:.1f} / {reserve[1]:.1f} / {reserve[2]:.1f} N m; "
                f"{peak:.2f} BW; {step:.2f} BW",
                f"< {100 * FLAGGED_AIM:.0f} % flagged and swing step < {SWING_STEP_AIM_BW} BW (issue 13)",
                "reserve actuators flag what the muscles cannot do",
                flagged < FLAGGED_AIM * len(status) and step < SWING_STEP_AIM_BW))
    return rows, table


def sprint_capacity_rows():
    """Why the sprint flags: the swing moments Dorn's kinematics need, and what doubling every
    strength key buys (the muscles' own limit, not the trial's GRF, which acts in stance only)."""
    from hipsim.config import Strength
    rows, flagged = [], {}
    for label, strength in (("defaults", {}), ("every strength key x2", {k: 2.0 for k in Strength.model_fields})):
        _, _, ds = C.pipeline({"activity": {"kind": "sprinting", "frames": 101}, "strength": strength})
        airborne = ds["grf"].sel(lab_axis="superior").values == 0.0
        status = ds["solver_status"].values != 0
        flagged[label] = (int(status.sum()), int((status & airborne).sum()), float(ds["hip_contact_force_resultant"].max()))
    moment = ds["hip_moment"].sel(dof="flexion").values
    rows.append(C.row("sprint: swing hip moment needed (flexion / extension peak)",
                      f"{moment[airborne].max():.1f} / {moment[airborne].min():.1f} N m/kg",
                      "report (Dorn's kinematics, 9.52 m/s)", "library trial", None))
    rows.append(C.row("sprint: flagged frames (all / in swing); peak HCF, defaults vs every strength key x2",
                      "; ".join(f"{k}: {a} / {b} of 101, {c:.1f} BW" for k, (a, b, c) in flagged.items()),
                      "< 10 % flagged (issue 13)", "-", flagged["defaults"][0] < 10))
    return rows, flagged


def hamner_same_inputs():
    """hipsim beside OpenSim on OpenSim's own Hamner run: the subject's RRA-adjusted model, RRA
    kinematics (not filtered again, as OpenSim's setup), the GRF through the trial's
    ExternalLoads XML, the window OpenSim's joint reaction covers (right foot strike to the end
    of the RRA data). Returns (row, hipsim curve, OpenSim curve, times)."""
    base, results = ("opensim", "hamner2010_running"), ("opensim", "results", "run_hamner_100Hz")
    ref = np.loadtxt(C.ref(*results, "hip_r_resultant_partial.txt"))
    config = {"subject": {"mass_kg": 65.9},
              "model": {"osim_file": str(C.ref(*base, "subject02_RRA_Adjusted.osim"))},
              "activity": {"kind": "running", "frames": len(ref), "filter_hz": None,
                           "motion_file": str(C.ref(*base, "rra_run_1_Kinematics_q.sto")),
                           "grf_file": str(C.ref(*base, "subject02_running_grf.mot")),
                           "external_loads": str(C.ref(*base, "External_Loads.xml")),
                           "time_range": (float(ref[0, 0]), float(ref[-1, 0]))}}
    _, _, ds = C.pipeline(config)
    ours = ds["hip_contact_force_resultant"].values
    cols, data, _ = read_opensim_table(C.ref(*results, "subject02_run_StaticOptimization_force.sto"))
    window = (data[:, 0] >= ref[0, 0] - 1e-9) & (data[:, 0] <= ref[-1, 0] + 1e-9)
    theirs = np.abs(data[window][:, [cols.index(f"{c}_r_reserve") for c in ("hip_flexion", "hip_adduction",
                                                                            "hip_rotation")]]).max(axis=0)
    mine = np.abs(ds["reserve_moment"].values).max(axis=0)
    r = C.pearson(ours, ref[:, 2])
    flagged = int(np.count_nonzero(ds["solver_status"].values))
    row = C.row("Hamner's trial, OpenSim's inputs (RRA model and kinematics, GRF via External_Loads.xml, "
                f"{ref[0, 0]:.2f}-{ref[-1, 0]:.3f} s): hipsim vs OpenSim SO + JR",
                f"r {r:.3f}; peak {ours.max():.2f} vs {ref[:, 2].max():.2f} BW; hip reserves flex/add/rot "
                f"{mine[0]:.0f}/{mine[1]:.0f}/{mine[2]:.0f} vs {theirs[0]:.0f}/{theirs[1]:.0f}/{theirs[2]:.0f} N m; "
                f"hipsim flags {flagged} of {len(ours)} frames (OpenSim: 18 of its 91 frames failed)",
                "r >= 0.95 (issue 13)", "opensim/results/run_hamner_100Hz", r >= 0.95)
    return row, ours, ref[:, 2], ref[:, 0]


def hamner_left_leg_row():
    """The same run's left hip: hipsim's ``activity.leg: left`` (the left leg mirrored onto the
    right-leg model) against OpenSim's hip_l over the left cycle inside the RRA data."""
    base, results = ("opensim", "hamner2010_running"), ("opensim", "results", "run_hamner_100Hz")
    ref = np.loadtxt(C.ref(*results, "hip_l_resultant_leftcycle.txt"))
    config = {"model": {"osim_file": str(C.ref(*base, "subject02_RRA_Adjusted.osim"))},
              "activity": {"kind": "running", "leg": "left", "frames": len(ref), "filter_hz": None,
                           "speed_m_s": 3.84, "motion_file": str(C.ref(*base, "rra_run_1_Kinematics_q.sto")),
                           "external_loads": str(C.ref(*base, "External_Loads.xml")),
                           "time_range": (float(ref[0, 0]), float(ref[-1, 0]))}}
    _, _, ds = C.pipeline(config)
    ours = ds["hip_contact_force_resultant"].values
    r = C.pearson(ours, ref[:, 2])
    return C.row(f"Hamner's trial, left leg (activity.leg: left, mirrored), left cycle {ref[0, 0]:.2f}-"
                 f"{ref[-1, 0]:.2f} s: hipsim vs OpenSim hip_l", f"r {r:.3f}; peak {ours.max():.2f} vs "
                 f"{ref[:, 2].max():.2f} BW; hipsim flags {int(ds.attrs['failed_frames'])} of {len(ours)} frames",
                 "r >= 0.95 (as the right)", "opensim/results/run_hamner_100Hz", r >= 0.95)


def run(outdir):
    FIGURES.clear()
    FINDINGS.clear()
    rows = []
    data = {}
    worst_info = {}
    for kind, speed in CASES:
        tag = f"{kind} {speed:g} m/s" if speed is not None else f"{kind} (library speed)"
        try:
            _, run_, ds = C.pipeline(C.library_config(kind, speed))
        except Exception as exc:  # the library is built by another tool; report what is missing
            rows.append(C.row(f"{tag}: library trial", f"not available: {exc}", "runs", "hipsim/data/gait",
                              False))
            continue
        if speed is None:
            tag = f"{kind} {float(ds.attrs['speed_m_s']):.2f} m/s"
        phase = ds["gait_phase"].values
        bw = ds["hip_contact_force_resultant"].values
        stance, toe_off = _stance(ds)
        stride = float(ds.attrs["stride_time_s"])
        contact_pct = phase[toe_off]
        pct_stance = 100 * phase / contact_pct
        i_pk = int(np.argmax(np.where(stance, bw, -np.inf)))
        half = stance & (pct_stance <= 50)
        late = stance & (pct_stance > 50)
        i1 = int(np.flatnonzero(half)[np.argmax(bw[half])])
        i2 = int(np.flatnonzero(late)[np.argmax(bw[late])])
        i_sw = int(np.argmax(np.where(~stance, bw, -np.inf)))
        dt = stride / (len(phase) - 1)
        slope = np.gradient(bw, dt)
        rise = slice(0, max(i1, 1) + 1)
        avg_rate = (bw[i1] - bw[0]) / max(phase[i1] * stride / 100, dt)
        max_rate = float(np.max(slope[rise]))
        grf_peak = float(ds["grf"].sel(lab_axis="superior").max())
        flagged = int(ds.attrs["failed_frames"])
        flagged_stance = int(np.count_nonzero(ds["solver_status"].values[stance] != 0))
        reserve = float(np.abs(ds["reserve_moment"].values).max())
        ap, ml, height = _diagnostics(run_)
        reserves = np.hstack([ds["reserve_moment"].values, ds["reserve_moment_distal"].values])
        worst = int(np.argmax(np.abs(reserves).max(axis=1)))
        saturated = sorted({str(m).replace("_r", "") for m, a in
                            zip(ds["muscle"].values, ds["muscle_activation"].values[worst]) if a > 0.99})
        data[tag] = (phase, bw, pct_stance, stance, contact_pct)
        worst_info[tag] = (flagged_stance, reserves[worst], saturated)
        rows += [
            C.row(f"{tag}: peak HCF in stance", f"{bw[i_pk]:.2f} BW at {phase[i_pk]:.0f} %GC = "
                  f"{pct_stance[i_pk]:.0f} % of stance (contact {contact_pct:.0f} %GC, "
                  f"{contact_pct * stride / 100:.3f} s)", "report; in vivo jogging ~5.5 BW (Bergmann 1993)",
                  "Bergmann 1993 J Biomech 26:969", None),
            C.row(f"{tag}: first vs second half of stance peak", f"{bw[i1]:.2f} BW at {pct_stance[i1]:.0f} % / "
                  f"{bw[i2]:.2f} BW at {pct_stance[i2]:.0f} % of stance", "report", "-", None),
            C.row(f"{tag}: HCF loading rate to the first stance peak", f"mean {avg_rate:.0f} BW/s, "
                  f"max {max_rate:.0f} BW/s", "report", "-", None),
            C.row(f"{tag}: peak HCF in swing", f"{bw[i_sw]:.2f} BW at {phase[i_sw]:.0f} %GC",
                  "report (swing load is from hip flexors/extensors only)", "-", None),
            C.row(f"{tag}: peak vertical GRF; CoP vs hip centre at that frame",
                  f"{grf_peak:.2f} BW; CoP {100 * ap:+.1f} cm forward, {100 * ml:+.1f} cm lateral, "
                  f"hip {height:.2f} m above it", "report (diagnostic)", "library trial", None),
            C.row(f"{tag}: frames flagged by the solver (all / stance); largest hip reserve",
                  f"{flagged} / {flagged_stance} of {len(phase)}; {reserve:.0f} N m",
                  "report (OpenSim Hamner run: 18 of 91 failed)", "-", None),
            C.row(f"{tag}: worst frame ({phase[worst]:.0f} %GC): reserve hip flex/add/rot, knee, ankle; "
                  f"muscles at full activation",
                  " / ".join(f"{x:.0f}" for x in reserves[worst]) + " N m; " + ", ".join(saturated),
                  "report", "-", None),
        ]

    model_rows, table = trial_and_model_rows()
    rows += model_rows
    same_row, *_ = hamner_same_inputs()
    rows += [same_row, hamner_left_leg_row()]
    sprint_rows, sprint_flags = sprint_capacity_rows()
    rows += sprint_rows
    for speed, model_peak in ((2.5, 7.72), (3.5, 8.98)):
        key = (f"Hamner carried to {speed} m/s", MODELS[1][0])
        if key in table:
            rows.append(C.row(f"running {speed} m/s, hamner2010 + rajagopal2023: peak HCF beside published ones",
                              f"{table[key][2]:.2f} BW",
                              f"in vivo jogging ~5.5 BW (Bergmann 1993); model {model_peak} BW at "
                              f"{'2.50' if speed == 2.5 else '3.33'} m/s (Giarmatzis 2015, digitised)",
                              "Bergmann 1993 J Biomech 26:969; Giarmatzis 2015 J Bone Miner Res", None))
    if table:
        cells = "; ".join(f"{t} + {m}: {v[0]} flagged, {v[2]:.1f} BW" for (t, m), v in table.items())
        FINDINGS.append(
            "Trials and muscles. Both halves are needed for a run the muscles can hold: on Hamner's "
            "measured cycle (kinematics, GRF and centre of pressure of one runner, 13 strides averaged) "
            "RajagopalLaiUhlrich2023's muscles (young adults' volumes, Uhlrich 2022's abductor paths, "
            "OpenSim's Millard curves) balance every frame, while gait2392's walking strengths still "
            "saturate the hip abductors in mid-stance; on the Fukuchi composite cycle no model holds, "
            "because its assembled foot placement inflates the stance hip moments. Rajagopal 2016's "
            f"abductor paths fall short too. {cells}.")

    right, left = _hamner()
    rows.append(C.row("OpenSim Hamner run (exploratory): hip_l full cycle / hip_r partial (0-72 %GC)",
                      f"peak {left[:, 2].max():.2f} BW at {left[np.argmax(left[:, 2]), 1]:.0f} %GC / "
                      f"{right[:, 2].max():.2f} BW at {right[np.argmax(right[:, 2]), 1]:.0f} %GC",
                      "side note; 18 of 91 SO frames failed", "opensim/results/run_hamner_100Hz", None))

    # --- figure
    fig, (ax, ax2) = C.new_figure(1, 2, figsize=(12, 4.3))
    for j, (tag, (phase, bw, pct_stance, stance, contact)) in enumerate(data.items()):
        ax.plot(phase, bw, color=f"C{j}", lw=1.6, label=tag)
        ax.axvline(contact, color=f"C{j}", lw=0.6, ls=":")
        ax2.plot(pct_stance[stance], bw[stance], color=f"C{j}", lw=1.6, label=tag)
    ax.plot(left[:, 1], left[:, 2], color="0.4", lw=1.2, ls="--", label="OpenSim Hamner hip_l (exploratory)")
    ax.plot(right[:, 1], right[:, 2], color="0.6", lw=1.0, ls="-.", label="OpenSim Hamner hip_r (partial)")
    for a in (ax, ax2):
        a.axhline(5.5, color="k", lw=0.8, ls="--")
        a.grid(alpha=0.3)
        a.set_ylabel("hip contact force resultant [BW]")
    ax.text(60, 5.6, "in vivo jogging ~5.5 BW (Bergmann 1993)", fontsize=7)
    ax.set_xlabel("% gait cycle (dotted: toe-off)")
    ax.set_xlim(0, 100)
    ax2.set_xlabel("% of stance")
    ax2.set_xlim(0, 100)
    ax.legend(fontsize=7)
    FIGURES.append(C.save(fig, outdir, "running_hcf.png"))

    lit = "; ".join(f"{a}: {b} [{c}]" for a, b, c in LITERATURE)
    summary = ", ".join(
        f"{tag} {bw[np.argmax(np.where(stance, bw, -np.inf))]:.1f} BW"
        for tag, (phase, bw, pct_stance, stance, contact) in data.items())
    FINDINGS.append(
        f"Peak stance HCF: {summary}. For scale: in vivo, Bergmann 1993 measured about 5.5 BW when "
        f"a patient with an instrumented hip jogged; musculoskeletal models with static optimization "
        f"typically report larger running peaks (several BW, rising with speed), and OpenSim's own "
        f"exploratory Hamner run here peaks at {left[:, 2].max():.1f} BW (left cycle), with 18 of 91 "
        f"frames failing. There is no running target band in TARGETS.md, so these rows are reported "
        f"without pass/fail. Literature checked: {lit}.")
    if worst_info:
        lines = "; ".join(f"{tag}: {n} stance frames; at the worst frame the reserves carry "
                          f"{r[1]:+.0f} N m about hip adduction and {r[0]:+.0f} N m about hip flexion "
                          f"(negative = abduction / extension)" for tag, (n, r, sat) in worst_info.items())
        FINDINGS.append(
            "Muscle capacity. Where frames are flagged the muscles cannot supply the net moments and "
            f"the reserve actuators carry the rest ({lines}); the HCF of those frames is a lower bound "
            "(the missing force would add roughly its moment divided by the muscles' 4-6 cm moment "
            "arms). On running's defaults this happens only at the fastest running (vasti and hip "
            "internal rotators at 4.5 m/s) and in the sprint; gait2392's walking strengths saturate "
            "the hip abductors in every running stance (the trials x models rows). The sprint runs on "
            "Dorn's kinematics with the same trial's force plates; most of its flags are in swing, "
            "where no GRF acts: the leg's own accelerations need hip moments the muscles cannot give "
            "at those fibre velocities (rigid tendons, as OpenSim's static optimization), and doubling "
            "every strength key still flags "
            f"{sprint_flags['every strength key x2'][0]} frames while the peak contact force climbs to "
            f"{sprint_flags['every strength key x2'][2]:.0f} BW. Dorn's own model of this runner "
            "(JA1_SCALED.osim in the data's distribution) gives every muscle 3x gait2392's strength "
            "and twice its maximum shortening velocity, i.e. the sprint needs a muscle model beyond "
            "healthy young adults' volumes, or elastic tendons, before its numbers can be read.")
    FINDINGS.append(
        "Reading the running numbers: the stance HCF follows the hip extensor/abductor demand set by "
        "where the foot and centre of pressure sit relative to the hip (the diagnostic row). Running's "
        "default cycle is one runner measured at 3.84 m/s (kinematics, GRF and centre of pressure "
        "together); the other speeds carry it by another runner's speed effects, so they are as good "
        "as that assumption (see the Fukuchi moment comparison in the inverse-dynamics section). "
        "Swing-phase forces come from the hip flexors and extensors accelerating and decelerating "
        "the leg, so they follow the second derivative of the cycle's angles.")
    return rows
