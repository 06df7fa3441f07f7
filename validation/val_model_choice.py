"""What each modelling choice changes in the walking hip contact force.

The same built-in walking cycle (70 kg, 1.75 m subject) through: the default gait2392 model;
gait2392 with activation exponent 3; gait2392 with ideal force generators (no force-length-
velocity, no passive force); and RajagopalLaiUhlrich2023 (Rajagopal 2016 with Uhlrich 2022's
hip-abductor paths, cylinder wrapping), unscaled. Each against the in-vivo bands of
Bergmann 2001 / 2016 (TARGETS.md). Plus hipsim on OpenSim's own RajagopalLaiUhlrich2023 walking
trial (its scaled model, IK and GRF) beside OpenSim's static optimization + joint reaction.
Nothing is tuned: each row is what that model gives.
"""
from __future__ import annotations

import numpy as np

import _common as C

TITLE = "Walking: what the muscle model changes (paths, exponent, muscle physiology)"
FIGURES, FINDINGS = [], []
SRC = "Bergmann 2001 J Biomech 34:859; Bergmann 2016 PLoS ONE 11:e0155612; TARGETS.md"
RAJAGOPAL_2023 = ("opensim", "rajagopal_lai_uhlrich2023", "RajagopalLaiUhlrich2023.osim")


def _variants():
    walking = C.library_config("walking")
    model_2023 = str(C.ref(*RAJAGOPAL_2023))
    return {
        "gait2392 (default)": walking,
        "gait2392, exponent 3": {**walking, "solver": {"activation_exponent": 3.0}},
        "gait2392, ideal force generators": {**walking, "solver": {"muscle_physiology": False}},
        "RajagopalLaiUhlrich2023": {**walking, "model": {"osim_file": model_2023}},
    }


def _in_vivo():
    data = np.genfromtxt(C.ref("in_vivo", "bergmann2001_walk_4kmh_hcf_digitized.csv"), delimiter=",",
                         names=True)
    return data["gait_cycle_pct"], data["hip_contact_force_pct_bw"] / 100.0


def _opensim_2023_trial():
    """hipsim on OpenSim's RajagopalLaiUhlrich2023 walking trial (scaled model, IK, GRF)."""
    base = ("opensim", "results", "walk_rajagopal2023")
    config = {"subject": {"mass_kg": 85.0668, "height_m": 1.8},
              "activity": {"kind": "walking", "frames": 117,
                           "motion_file": str(C.ref(*base, "ik_output_walk_2023.mot")),
                           "grf_file": str(C.ref(*base, "grf_walk.mot"))},
              "model": {"osim_file": str(C.ref(*base, "subject_scaled_walk_2023.osim"))}}
    _, _, ds = C.pipeline(config)
    ref = np.loadtxt(C.ref(*base, "hip_r_resultant_cycle.txt"))
    return ds, ref[:, 1], ref[:, 2]


def run(outdir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    FIGURES.clear()
    FINDINGS.clear()
    rows = []
    vivo_phase, vivo_bw = _in_vivo()
    grid = np.linspace(0, 100, 101)
    vivo = np.interp(grid, vivo_phase, vivo_bw)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(grid, vivo, "k", lw=2.5, label="in vivo, Bergmann 2001")
    for label, config in _variants().items():
        _, run_, ds = C.pipeline(config)
        phase = ds["gait_phase"].values
        bw = ds["hip_contact_force_resultant"].values
        curve = np.interp(grid, phase, bw)
        peak = C.peak_in(phase, bw, 0, 100)
        h1 = C.peak_in(phase, bw, 10, 28)
        h2 = C.peak_in(phase, bw, 40, 58)
        ratio = h1[0] / h2[0]
        r = C.pearson(curve, vivo)
        flagged = int((ds["solver_status"] != 0).sum())
        rows += [
            C.row(f"{label}: peak resultant", f"{C.fmt(peak[0])} BW at {peak[1]:.0f} %GC", "2.1-3.2 BW", SRC,
                  C.inside(peak[0], 2.1, 3.2)),
            C.row(f"{label}: hump 1 / hump 2", f"{C.fmt(h1[0])} / {C.fmt(h2[0])} = {ratio:.2f}", ">= 0.9", SRC,
                  ratio >= 0.9),
            C.row(f"{label}: Pearson r vs in-vivo curve", f"{r:.3f} ({flagged} frames flagged)", ">= 0.9", SRC,
                  r >= 0.9),
        ]
        ax.plot(grid, curve, label=f"{label}: peak {peak[0]:.2f}, h1/h2 {ratio:.2f}, r {r:.2f}")
    ax.set(xlabel="gait cycle [%]", ylabel="hip contact force [BW]", title="Walking, built-in cycle, 70 kg")
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = outdir / "model_choice_walking.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    FIGURES.append(path.name)

    ds, ref_phase, ref_bw = _opensim_2023_trial()
    phase = ds["gait_phase"].values
    bw = ds["hip_contact_force_resultant"].values
    opensim = np.interp(phase, ref_phase, ref_bw)
    peak, ref_peak = C.peak_in(phase, bw, 0, 100), C.peak_in(phase, opensim, 0, 100)
    rows.append(C.row("OpenSim's RajagopalLaiUhlrich2023 walking trial: hipsim vs OpenSim SO + JR",
                      f"peak {C.fmt(peak[0])} BW at {peak[1]:.0f} % vs {C.fmt(ref_peak[0])} at {ref_peak[1]:.0f} %; "
                      f"r {C.pearson(bw, opensim):.3f}", "report (OpenSim: 4.45 BW at 49 %GC)",
                      "opensim/results/walk_rajagopal2023 (TARGETS.md)", None))
    FINDINGS.append(
        "The hump order is a property of the hip-abductor paths: with gait2392's short abductor moment "
        "arms static optimization needs more abductor force in late stance and the second hump wins; "
        "RajagopalLaiUhlrich2023's wrapped abductor paths (Uhlrich 2022) bring the humps close to level "
        "on the identical cycle. A higher exponent spreads load over more muscles and raises the "
        "peak; ideal force generators change little in walking. The 2023 model's Millard curves are "
        "OpenSim's own (hipsim.millard), including Uhlrich 2022's calibrated passive curves, which "
        "start to pull at about 0.8 optimal fibre length; the relaxed muscles' force passes through "
        "their elastic tendons (fibre-tendon equilibrium, as OpenSim's Millard muscle) and is added to "
        "the joint load, which OpenSim's static optimization leaves out: so hipsim's walking peak "
        "(3.45 BW; 2.89 BW with the earlier Thelen-form approximation) and its peak on OpenSim's own "
        "2023 trial (4.74 vs 4.45 BW, r 0.99) sit above OpenSim's. The built-in cycle was recorded on "
        "a gait2392-sized subject and drives the unscaled Rajagopal skeleton.")
    return rows
