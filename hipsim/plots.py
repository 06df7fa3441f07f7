"""Standard figures of a result (``hipsim plot``), drawn with matplotlib (Agg, no display needed).

* a run: hip contact force over the cycle with the in-vivo band, muscle forces by group,
  impingement clearance and cartilage pressure, flagged frames shaded;
* a sweep: a heat map over the first two swept keys of a grid, a line over one key, or the output
  against each key for lhs / sobol samples;
* ``rom`` results (one or several, e.g. one per alpha angle): internal and external rotation
  against flexion.

The in-vivo band of a walking run is the range of the first-peak resultant over the ten OrthoLoad
subjects in level walking (Bergmann et al. 2016, PLoS ONE 11:e0155612, CC BY 4.0; values in
:data:`ORTHOLOAD_WALKING_PEAKS_BW`); for running, Bergmann et al. 1993 (J Biomech 26:969) report
about 5.5 BW when jogging, drawn as a line.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import InputError
from .sweep_store import open_result

#: first-peak resultant hip contact force [BW] of the ten OrthoLoad subjects H1-H10 in level walking
#: (Bergmann et al. 2016, as extracted by RWTHmediTEC/HipJointForceModel)
ORTHOLOAD_WALKING_PEAKS_BW = (2.2975, 2.4796, 2.2959, 2.4537, 2.8169, 2.5084, 2.6383, 2.7031, 2.3551, 2.1656)
JOGGING_IN_VIVO_BW = 5.5
FIGURE_DPI = 120


def result_kind(ds):
    """'rom', 'sweep' or 'run' for a result Dataset; InputError for anything else."""
    if "max_internal_rotation" in ds:
        return "rom"
    if "sweep_design" in ds.attrs:
        return "sweep"
    if "hip_contact_force_resultant" in ds and "frame" in ds.dims:
        return "run"
    raise InputError("RESULT", "not a hipsim run, sweep or rom result")


def _figure(*args, **kwargs):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt.subplots(*args, **kwargs)


def _save(fig, path):
    import matplotlib.pyplot as plt
    fig.tight_layout()
    fig.savefig(path, dpi=FIGURE_DPI)
    plt.close(fig)
    return Path(path)


def _shade_flags(ax, phase, status):
    flagged = np.asarray(status) != 0
    if flagged.any():
        ax.fill_between(phase, 0, 1, where=flagged, transform=ax.get_xaxis_transform(), color="0.85",
                        step="mid", label="frames flagged by the solver", zorder=0)


def plot_run(ds, path):
    """Four panels of one run (see the module docstring); writes ``path`` (PNG)."""
    phase = ds["gait_phase"].values
    status = ds["solver_status"].values
    fig, axes = _figure(2, 2, figsize=(11, 7.5))
    ax = axes[0, 0]
    _shade_flags(ax, phase, status)
    ax.plot(phase, ds["hip_contact_force_resultant"].values, "k", lw=2, label="resultant")
    for axis, color in zip(ds["axis"].values, ("tab:blue", "tab:orange", "tab:green")):
        ax.plot(phase, ds["hip_contact_force"].sel(axis=axis).values, color=color, lw=1, label=str(axis))
    kind = ds.attrs.get("activity", "")
    if kind == "walking":
        lo, hi = min(ORTHOLOAD_WALKING_PEAKS_BW), max(ORTHOLOAD_WALKING_PEAKS_BW)
        ax.axhspan(lo, hi, color="tab:red", alpha=0.15, label="in vivo peak range (OrthoLoad, 10 subjects)")
    elif kind in ("running", "sprinting"):
        ax.axhline(JOGGING_IN_VIVO_BW, color="tab:red", ls="--", lw=1, label="in vivo jogging peak (Bergmann 1993)")
    ax.set(xlabel="gait cycle [%]", ylabel="hip contact force [BW]",
           title=f"{kind} at {ds.attrs.get('speed_m_s', float('nan')):.2f} m/s: hip contact force")
    ax.legend(fontsize=7, loc="upper right")

    ax = axes[0, 1]
    groups = ds["muscle_force"].groupby("muscle_group").sum()
    order = np.argsort(-groups.max("frame").values)[:7]
    for g in order:
        ax.plot(phase, groups.isel(muscle_group=int(g)).values, lw=1.5, label=str(groups["muscle_group"].values[g]))
    ax.set(xlabel="gait cycle [%]", ylabel="force [N]", title="muscle force by group")
    ax.legend(fontsize=7, loc="upper right")

    ax = axes[1, 0]
    clearance = ds["impingement_clearance"].values
    ax.plot(phase, clearance, "tab:purple", lw=2)
    ax.axhline(0.0, color="k", lw=0.8)
    ax.fill_between(phase, clearance, 0, where=clearance < 0, color="tab:red", alpha=0.4, label="bony overlap")
    i = int(np.argmin(clearance))
    ax.annotate(f"{clearance[i]:.1f} mm at {float(ds['impingement_clock'][i]):.1f} h", (phase[i], clearance[i]),
                textcoords="offset points", xytext=(5, 8), fontsize=8)
    ax.set(xlabel="gait cycle [%]", ylabel="clearance [mm]", title="femur-rim clearance (impingement < 0)")

    ax = axes[1, 1]
    ax.plot(phase, ds["contact_pressure_peak"].values, "tab:red", lw=2, label="peak")
    ax.plot(phase, ds["contact_pressure_mean"].values, "tab:red", lw=1, ls="--", label="mean")
    ax.set(xlabel="gait cycle [%]", ylabel="pressure [MPa]", title="acetabular cartilage pressure (DEA)")
    twin = ax.twinx()
    twin.plot(phase, ds["contact_area"].values, "0.4", lw=1, label="contact area")
    twin.set_ylabel("contact area [mm2]")
    ax.legend(fontsize=7, loc="upper left")
    twin.legend(fontsize=7, loc="upper right")
    return _save(fig, path)


def plot_sweep(ds, path, variable="hip_contact_force_resultant", stat="max"):
    """The sweep's output (``variable`` reduced over the cycle by ``stat``) against its keys."""
    from .sensitivity import scalar_output
    out = scalar_output(ds, variable, stat).load()
    keys = ds.attrs["sweep_keys"].split()
    units = ds[variable].attrs.get("units", "")
    label = f"{stat} of {variable} [{units}]" if "frame" in ds[variable].dims else f"{variable} [{units}]"
    if "sample" in out.dims:
        fig, axes = _figure(1, len(keys), figsize=(4.2 * len(keys), 3.8), squeeze=False)
        for ax, key in zip(axes[0], keys):
            ax.scatter(ds[key].values, out.values, s=8, alpha=0.6)
            ax.set(xlabel=key, ylabel=label)
        fig.suptitle(f"{ds.attrs['sweep_design']} sweep, {ds.attrs['sweep_points']} points")
    elif len(keys) == 1:
        fig, ax = _figure(figsize=(6, 4))
        ax.plot(ds[keys[0]].values, out.values, "o-")
        ax.set(xlabel=keys[0], ylabel=label, title="grid sweep")
    else:
        others = {k: 0 for k in keys[2:]}
        grid = out.isel(others).transpose(keys[0], keys[1])
        fig, ax = _figure(figsize=(7, 5))
        x, y = ds[keys[1]].values, ds[keys[0]].values
        mesh = ax.pcolormesh(np.arange(len(x) + 1) - 0.5, np.arange(len(y) + 1) - 0.5, grid.values,
                             cmap="viridis", shading="flat")
        for (r, c), v in np.ndenumerate(grid.values):
            ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=8, color="w")
        ax.set_xticks(range(len(x)), [f"{v:g}" for v in x])
        ax.set_yticks(range(len(y)), [f"{v:g}" for v in y])
        ax.set(xlabel=keys[1], ylabel=keys[0],
               title="grid sweep" + ("".join(f", {k} = {ds[k].values[0]:g}" for k in others)))
        fig.colorbar(mesh, ax=ax, label=label)
    return _save(fig, path)


def plot_rom(datasets, path):
    """Internal and external rotation against flexion for one or several ``rom`` results."""
    import yaml
    fig, ax = _figure(figsize=(7, 4.5))
    for ds in datasets:
        morphology = (yaml.safe_load(ds.attrs.get("config", "")) or {}).get("morphology", {}) or {}
        alpha = ds.attrs.get("hip_alpha_angle_deg", morphology.get("alpha_angle_deg"))
        lcea = ds.attrs.get("hip_lce_angle_deg", morphology.get("lce_angle_deg"))
        label = f"alpha {float(alpha if alpha is not None else 'nan'):.0f} deg, LCEA {float(lcea if lcea is not None else 'nan'):.0f} deg"
        line, = ax.plot(ds["flexion"].values, ds["max_internal_rotation"].values, "o-", ms=3, label=label)
        ax.plot(ds["flexion"].values, -ds["max_external_rotation"].values, "--", color=line.get_color(), lw=1)
    ax.axhline(0.0, color="k", lw=0.6)
    ax.set(xlabel="hip flexion [deg]", ylabel="internal (+) / external (-) rotation [deg]",
           title="impingement-free rotation (solid: internal limit, dashed: external)")
    ax.legend(fontsize=8)
    return _save(fig, path)


def plot(paths, output, variable="hip_contact_force_resultant", stat="max"):
    """Plot result files to ``output`` (PNG): one run, one sweep, or one or more rom results."""
    output = Path(output)
    if output.suffix.lower() not in (".png", ".pdf", ".svg"):
        raise InputError(str(output), "the plot must end in .png, .pdf or .svg")
    if not output.parent.is_dir():
        raise InputError(str(output), f"folder {output.parent} does not exist")
    datasets = [open_result(p) for p in paths]
    kinds = {result_kind(ds) for ds in datasets}
    if kinds == {"rom"}:
        return plot_rom(datasets, output)
    if len(datasets) != 1:
        raise InputError("RESULT", "several results can be plotted together only when all are rom results")
    ds = datasets[0]
    if kinds == {"sweep"}:
        return plot_sweep(ds, output, variable, stat)
    return plot_run(ds, output)
