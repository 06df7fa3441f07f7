"""The ``hipsim`` command line.

Exit status: 0 success; 2 bad input (one ``error:`` line naming the key or file, nothing
written); 1 anything else.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from pathlib import Path

from .errors import InputError, InputWarning

_show_warning = warnings.showwarning

DEMO_DIR = "hipsim-demo"
#: The main job: a running cycle for a hip with cam morphology (alpha angle 65 deg).
DEMO_CONFIG = {"activity": {"kind": "running", "speed_m_s": 3.5}, "morphology": {"alpha_angle_deg": 65.0}}
DEMO_VIDEO_SIZE = (1024, 576)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as ``error:`` lines with exit status 2."""

    def error(self, message):
        raise InputError("command line", message)


def _add_config_args(p, config_optional=False):
    p.add_argument("config", nargs="?" if config_optional else None, help="YAML config file")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a dotted config key, e.g. strength.gluteus_medius=0.6")


def build_parser():
    parser = _Parser(prog="hipsim", description="Mechanical loads on the hip.")
    from . import __version__
    parser.add_argument("--version", action="version", version=f"hipsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="simulate one cycle and write a NetCDF Dataset")
    _add_config_args(run, config_optional=True)
    run.add_argument("-o", "--output", default="result.nc", help="output NetCDF file (default result.nc)")
    rom = sub.add_parser("rom", help="impingement-free range of motion of the configured hip")
    _add_config_args(rom, config_optional=True)
    rom.add_argument("-o", "--output", default="rom.nc", help="output NetCDF file (default rom.nc)")
    sweep = sub.add_parser("sweep", help="run every point of the config's sweep section")
    _add_config_args(sweep, config_optional=True)
    sweep.add_argument("-o", "--output", default="sweep.zarr",
                       help="output Zarr store (.zarr, default sweep.zarr) or NetCDF file (.nc)")
    sweep.add_argument("--workers", type=int, default=None, help="local worker processes (default: all cores)")
    sweep.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run on a Dask cluster, e.g. tcp://HOST:8786 (`dask scheduler` / `dask worker`)")
    sweep.add_argument("--resume", action="store_true",
                       help="continue an interrupted sweep (OUT.partial) instead of refusing it")
    sensitivity = sub.add_parser("sensitivity", help="first- and total-order Sobol indices of a sobol sweep")
    sensitivity.add_argument("result", help="the sweep result (.zarr or .nc) of a design: sobol sweep")
    sensitivity.add_argument("--variable", default="hip_contact_force_resultant",
                             help="output variable (default hip_contact_force_resultant)")
    sensitivity.add_argument("--stat", default="max", help="reduction over the cycle: max (default), min, mean")
    sensitivity.add_argument("--select", action="append", default=[], metavar="DIM=LABEL",
                             help="a label of another dimension, e.g. axis=superior or tendon_group=gluteal")
    sensitivity.add_argument("-o", "--output", default=None, help="also write the indices to this NetCDF file")
    anim = sub.add_parser("animate", help="3D animation of the hip through the motion (MP4 or GIF)")
    anim.add_argument("source", metavar="CONFIG_OR_RESULT", nargs="+",
                      help="a YAML config or a run result (.nc); two are drawn side by side, on the same scales")
    anim.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                      help="override a dotted config key of every hip drawn, e.g. morphology.alpha_angle_deg=78")
    anim.add_argument("-o", "--output", default="hip.mp4", help="output .mp4 or .gif (default hip.mp4)")
    anim.add_argument("--camera", default="joint", choices=("joint", "anterior", "lateral"),
                      help="camera preset (default joint: close-up of the joint)")
    anim.add_argument("--size", default="1280x720", help="WIDTHxHEIGHT in pixels (default 1280x720)")
    anim.add_argument("--fps", type=int, default=20, help="frames per second (default 20)")
    viewer = sub.add_parser("view", help="interactive viewer in a local web page (scrub the cycle, change the hip)")
    viewer.add_argument("source", metavar="CONFIG_OR_RESULT", help="a YAML config or a run result (.nc)")
    viewer.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a dotted config key, as for run")
    viewer.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1, this machine only)")
    viewer.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    viewer.add_argument("--camera", default="joint", choices=("joint", "anterior", "lateral"))
    plot = sub.add_parser("plot", help="standard plots of a run, a sweep or rom results")
    plot.add_argument("results", nargs="+", metavar="RESULT", help="result file(s): a run, a sweep, or rom results")
    plot.add_argument("-o", "--output", default="plot.png", help="output image (.png, .pdf, .svg; default plot.png)")
    plot.add_argument("--variable", default="hip_contact_force_resultant", help="sweep output to plot")
    plot.add_argument("--stat", default="max", choices=("max", "min", "mean"), help="sweep: reduction over the cycle")
    mesh = sub.add_parser("mesh", help="write the femur and acetabulum meshes of the configured hip")
    _add_config_args(mesh, config_optional=True)
    mesh.add_argument("-o", "--output-dir", required=True, help="output folder")
    mesh.add_argument("--format", default="stl", choices=("stl", "ply", "vtk", "vtp", "obj"))
    export = sub.add_parser("export", help="a run result as OpenSim .sto files, a tidy CSV or a ParaView .vtp series")
    export.add_argument("result", help="a run result (.nc)")
    export.add_argument("--format", required=True, choices=("sto", "csv", "vtp"))
    export.add_argument("-o", "--output", required=True,
                        help="sto: file prefix (PREFIX_JointReaction.sto, ...); csv: file; vtp: folder")
    demo = sub.add_parser("demo", help="the main job on built-in defaults")
    demo.add_argument("-o", "--output-dir", default=DEMO_DIR, help=f"output folder (default {DEMO_DIR}/)")
    validate = sub.add_parser("validate", help="run the validation suite and write a report")
    validate.add_argument("-o", "--output-dir", default="validation-report")
    return parser


def _check_output(path):
    """The output path, checked before any work starts (NetCDF suffix, existing folder)."""
    path = Path(path)
    if path.suffix.lower() not in (".nc", ".nc4", ".netcdf"):
        raise InputError(str(path), "output must be a NetCDF file ending in .nc")
    if not path.parent.is_dir():
        raise InputError(str(path), f"folder {path.parent} does not exist")
    return path


def write_netcdf(ds, path):
    """Write ``ds`` to ``path`` atomically: a temporary file in the same folder, then a rename,
    so a failed write never leaves a partial file."""
    path = _check_output(path)
    fd, tmp = tempfile.mkstemp(suffix=".nc.part", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)          # mkstemp makes it owner-only; a result is an ordinary file
    try:
        ds.to_netcdf(tmp, engine="netcdf4")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def summary_table(ds):
    """A short text summary of a run Dataset; peaks of solver-dependent quantities skip the
    frames the solvers flagged (:func:`hipsim.variables.valid`)."""
    import numpy as np
    from .variables import valid
    shown = valid(ds)

    def peak_at(values):
        return int(np.nanargmax(values)) if np.isfinite(values).any() else 0

    r = shown["hip_contact_force_resultant"].values
    phase = ds["gait_phase"].values
    i = peak_at(r)
    pk = shown["contact_pressure_peak"].values
    j = peak_at(pk)
    stance = ds["grf"].sel(lab_axis="superior").values > 0.02
    toe_off = float(phase[np.argmax(~stance & (phase > 5))]) if (~stance).any() else float("nan")
    early = phase < toe_off / 2
    k = int(np.flatnonzero(early)[peak_at(r[early])])
    groups = shown["muscle_force"].groupby("muscle_group").sum().max("frame")
    flagged = int((ds["solver_status"] != 0).sum()) + int((ds["contact_pressure_status"] != 0).sum())
    lines = [
        f"hipsim {ds.attrs['hipsim_version']}  |  {ds.attrs['activity']} at {ds.attrs['speed_m_s']:.2f} m/s, "
        f"stride {ds.attrs['stride_time_s']:.3f} s, {ds.sizes['frame']} frames",
        "",
        f"{'quantity':44s} {'value':>10s}  {'at % cycle':>10s}",
        f"{'peak hip contact force [BW]':44s} {r[i]:10.2f}  {phase[i]:10.1f}",
        f"{'  first-half-of-stance peak [BW]':44s} {r[k]:10.2f}  {phase[k]:10.1f}",
        f"{'  superior component at peak [BW]':44s} {ds['hip_contact_force'].values[i, 1]:10.2f}",
        f"{'peak vertical GRF [BW]':44s} {ds['grf'].sel(lab_axis='superior').max().item():10.2f}",
        f"{'toe-off':44s} {'':10s}  {toe_off:10.1f}",
        f"{'peak hip flexion / extension [deg]':44s} "
        f"{ds['hip_angle'].sel(dof='flexion').max().item():5.1f} / {ds['hip_angle'].sel(dof='flexion').min().item():5.1f}",
        f"{'minimum impingement clearance [mm]':44s} {float(ds['impingement_clearance'].min()):10.2f}  "
        f"{float(phase[int(np.argmin(ds['impingement_clearance'].values))]):10.1f}",
        f"{'  where on the rim [clock, h]':44s} "
        f"{float(ds['impingement_clock'][int(np.argmin(ds['impingement_clearance'].values))]):10.1f}",
        f"{'peak cartilage contact pressure [MPa]':44s} {pk[j]:10.2f}  {phase[j]:10.1f}",
        f"{'  contact area there [mm2]':44s} {ds['contact_area'].values[j]:10.0f}",
        f"{'frames flagged by the solver':44s} {int((ds['solver_status'] != 0).sum()):10d}",
        f"{'frames flagged by the pressure solver':44s} {int((ds['contact_pressure_status'] != 0).sum()):10d}",
        f"{'largest hip reserve moment [N m]':44s} {abs(ds['reserve_moment']).max().item():10.3f}",
        "",
        "peak muscle-group force [N]: " + ", ".join(
            f"{g} {v:.0f}" for g, v in sorted(zip(groups["muscle_group"].values, groups.values),
                                              key=lambda x: -x[1])[:6]),
    ]
    if flagged:
        lines.append("(peak forces, pressures and muscle forces skip the flagged frames: "
                     "hipsim.variables.valid)")
    return "\n".join(lines)


def _compute_and_write(args, compute):
    """Load the config, check the output path, run ``compute(config)`` and write the Dataset
    (nothing is written when any step fails)."""
    from .config import load_config
    config = load_config(args.config, args.overrides)
    _check_output(args.output)
    ds = compute(config)
    write_netcdf(ds, args.output)
    return ds


def cmd_run(args):
    from .pipeline import simulate
    _compute_and_write(args, simulate)
    print(f"wrote {args.output}")
    return 0


def cmd_sweep(args):
    from .config import load_config
    from .sweeps import sweep
    config = load_config(args.config, args.overrides)
    with sweep(config, client=args.scheduler, workers=args.workers, output=args.output, resume=args.resume) as ds:
        print(f"wrote {args.output} ({ds.attrs['sweep_points']} points, {ds.attrs['sweep_design']} design, "
              f"{ds.attrs['failed_frames']} frames flagged by the solver)")
    return 0


def cmd_sensitivity(args):
    from .sensitivity import indices_table, sobol_indices
    from .sweep_store import open_sweep
    select = {}
    for item in args.select:
        if "=" not in item:
            raise InputError("--select", f"expected DIM=LABEL, got {item!r}")
        dim, label = item.split("=", 1)
        select[dim.strip()] = label.strip()
    if args.output:
        _check_output(args.output)
    with open_sweep(args.result) as ds:
        indices = sobol_indices(ds, args.variable, args.stat, select)
    print(indices_table(indices))
    if args.output:
        write_netcdf(indices, args.output)
        print(f"wrote {args.output}")
    return 0


def cmd_rom(args):
    from .rom import range_of_motion
    ds = _compute_and_write(args, range_of_motion)
    print(rom_table(ds))
    print(f"wrote {args.output}")
    return 0


def rom_table(ds):
    """A short text table of a ``rom`` Dataset ('-' where no bone is met within the search)."""
    def cell(value, status, width, fmt=".1f"):
        if int(status) == 1:
            return f"{'free':>{width}s}"
        if int(status) == 2:
            return f"{'overlap':>{width}s}"
        return f"{value:{width}{fmt}}"
    adducted = float(ds.attrs.get("adducted_deg", float("nan")))
    lines = [f"{'flexion [deg]':>14s} {'max IR [deg]':>13s} {'max ER [deg]':>13s} "
             f"{'IR at ' + format(adducted, 'g') + ' add':>14s} {'IR limit clock [h]':>19s}"]
    for i, f in enumerate(ds["flexion"].values):
        lines.append(f"{f:14.0f} {cell(ds['max_internal_rotation'].values[i], ds['internal_rotation_status'].values[i], 13)} "
                     f"{cell(ds['max_external_rotation'].values[i], ds['external_rotation_status'].values[i], 13)} "
                     f"{cell(ds['max_internal_rotation_adducted'].values[i], ds['internal_rotation_adducted_status'].values[i], 14)} "
                     f"{cell(ds['limit_clock'].values[i], ds['internal_rotation_status'].values[i], 19)}")
    for name, what in (("flexion", "flexion at neutral"), ("abduction", "abduction at neutral")):
        lines.append(f"max {what}: {cell(float(ds['max_' + name]), ds[name + '_status'], 0).strip()} deg"
                     f"{'' if int(ds[name + '_status']) else ' (contact at ' + format(ds['max_' + name].attrs['limit_clock_h'], '.1f') + ' h)'}")
    lines.append(f"angles: {ds.attrs.get('reference', 'anatomical')}; 'free' = no bone met within the search")
    return "\n".join(lines)


def _size(text):
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise InputError("--size", f"expected WIDTHxHEIGHT, e.g. 1280x720, got {text!r}")
    return width, height


def cmd_animate(args):
    from .animate import animate
    n = animate(args.source if len(args.source) > 1 else args.source[0], args.output, camera=args.camera,
                size=_size(args.size), fps=args.fps, overrides=args.overrides)
    print(f"wrote {args.output} ({n} frames)")
    return 0


def cmd_view(args):
    from .viewer import view
    if not 0 < args.port < 65536:
        raise InputError("--port", f"must be 1-65535, got {args.port}")
    view(args.source, host=args.host, port=args.port, camera=args.camera, overrides=args.overrides)
    return 0


def cmd_plot(args):
    from .plots import plot
    print(f"wrote {plot(args.results, args.output, args.variable, args.stat)}")
    return 0


def cmd_export(args):
    from .export import export
    for path in export(args.result, args.format, args.output):
        print(f"wrote {path}")
    return 0


def cmd_mesh(args):
    from .config import load_config
    from .meshio import write_meshes
    from .hip_models import hip_geometry
    config = load_config(args.config, args.overrides)
    out = Path(args.output_dir)
    if out.exists() and not out.is_dir():
        raise InputError(str(out), "exists and is not a folder")
    geometry = hip_geometry(config.morphology)
    out.mkdir(parents=True, exist_ok=True)
    for path in write_meshes(geometry, out, args.format):
        print(f"wrote {path}")
    return 0


def cmd_demo(args):
    from .config import load_config
    from .pipeline import simulate
    out = Path(args.output_dir)
    config = load_config(DEMO_CONFIG)
    ds = simulate(config)
    out.mkdir(parents=True, exist_ok=True)
    write_netcdf(ds, out / "result.nc")
    print(summary_table(ds))
    from .animate import animate
    from .plots import plot
    plot([out / "result.nc"], out / "result.png")
    animate(config, out / "hip.mp4", camera="joint", size=DEMO_VIDEO_SIZE)
    print(f"\nwrote {out / 'result.nc'}, {out / 'result.png'} (plots) and {out / 'hip.mp4'} (animation)")
    return 0


def cmd_validate(args):
    import runpy
    root = Path(__file__).resolve().parent.parent / "validation"
    if not (root / "run_all.py").is_file():
        raise InputError("validation", "the validation suite ships with the source tree, not the package")
    saved = sys.argv
    sys.argv = ["run_all.py", "-o", args.output_dir]
    try:
        runpy.run_path(str(root / "run_all.py"), run_name="__main__")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = saved
    return 0


COMMANDS = {"run": cmd_run, "sweep": cmd_sweep, "sensitivity": cmd_sensitivity, "rom": cmd_rom, "plot": cmd_plot,
            "animate": cmd_animate, "view": cmd_view,
            "mesh": cmd_mesh, "export": cmd_export,
            "demo": cmd_demo, "validate": cmd_validate}


#: commands that run numba kernels (a first run compiles them)
COMPILING_COMMANDS = ("run", "rom", "sweep", "animate", "view", "demo", "export", "validate")


def _print_warning(message, category, filename, lineno, file=None, line=None):
    """hipsim's own warnings as one ``warning:`` line on stderr; others as Python shows them."""
    if issubclass(category, InputWarning):
        print(f"warning: {message}", file=sys.stderr)
    else:
        _show_warning(message, category, filename, lineno, file, line)


def main(argv=None):
    from ._memory import reuse_large_blocks
    reuse_large_blocks()
    warnings.showwarning = _print_warning
    args = None
    try:
        args = build_parser().parse_args(argv)
        if args.command in COMPILING_COMMANDS:
            from ._numba import kernel_cache_dir, kernels_cached
            if not kernels_cached():
                print(f"hipsim: compiling its numerical kernels for this machine, once (1-2 minutes; cached in "
                      f"{kernel_cache_dir() or 'the source folder'})", file=sys.stderr, flush=True)
        return COMMANDS[args.command](args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        hint = " (run it again with --resume to continue)" if getattr(args, "command", None) == "sweep" else ""
        print(f"error: interrupted{hint}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
