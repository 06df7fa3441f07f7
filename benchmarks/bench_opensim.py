"""End to end beside OpenSim, in the same run, on the same trial: OpenSim's gait2392 walking
example (subject01: its model, RRA kinematics, ``foot_floor_loads.xml``), 151 frames over
0.5-1.999 s as OpenSim's own static optimization + joint reaction setup runs it.

Rows:

* a fresh process each: OpenSim 4.6 (pip ``opensim``) AnalyzeTool static optimization, then
  joint reaction, against ``hipsim run`` of the same trial (its model, its ExternalLoads XML,
  ``solver.min_activation`` 0.01 as OpenSim, the same window and frame count, result written);
* repeated in one process: the same two OpenSim tools run again in the process that ran them
  once, against hipsim's ``simulate`` of new trials in one process (the same trial cut at five
  different windows: the files are parsed once per process, everything else is redone), frames/s.

Needs the ``opensim`` package and ``../shared/reference``; otherwise it says so and reports no
rows. Wall times, one repetition each (OpenSim takes ~20 s a run). Run directly
(``python benchmarks/bench_opensim.py``) or through ``benchmarks/run_all.py``.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _worker import ROOT, main, row  # noqa: E402

SHARED = ROOT.parent / "shared" / "reference" / "opensim"
INPUTS = SHARED / "gait2392_walk_SO_JR"
SETUPS = SHARED / "results" / "walk_gait2392_100Hz"
FILES = ("subject01_simbody_adjusted_StaticOp.osim", "gait2392_SO_weak_Residual_Actuators.xml",
         "foot_floor_loads.xml", "subject01_walk1_grf.mot", "subject01_walk1_Kinematics.sto")
WINDOW_S = (0.5, 1.999)          # OpenSim's setup: initial and final time, step_interval 10 at 1 kHz
FRAMES = 151

_OPENSIM = textwrap.dedent("""
    import json, sys, time
    t0 = time.perf_counter()
    import opensim as osim
    osim.Logger.setLevelString("error")
    t1 = time.perf_counter()
    laps = []
    for _ in range({repeats}):
        a = time.perf_counter()
        osim.AnalyzeTool("setup_static_optimization.xml").run()
        b = time.perf_counter()
        osim.AnalyzeTool("setup_JointReaction.xml").run()
        laps.append((b - a, time.perf_counter() - b))
    print(json.dumps({{"import_s": t1 - t0, "laps": laps}}))
""")

_HIPSIM_REPEATS = textwrap.dedent("""
    import json, time
    import hipsim
    config = {config}
    hipsim.simulate(config)                       # the process's first trial (loads the kernels)
    windows = [[0.50 + 0.01 * k, 1.999 - 0.01 * k] for k in range(1, 6)]
    t = time.perf_counter()
    for window in windows:
        hipsim.simulate(config, activity={{"time_range": window}})
    print(json.dumps({{"seconds": time.perf_counter() - t, "trials": len(windows)}}))
""")


def _hipsim_config(folder):
    return {"model": {"osim_file": str(folder / FILES[0])},
            "activity": {"kind": "walking", "frames": FRAMES, "filter_hz": None, "speed_m_s": 1.13,
                         "motion_file": str(folder / FILES[4]), "external_loads": str(folder / FILES[2]),
                         "time_range": list(WINDOW_S)},
            "solver": {"min_activation": 0.01}}


def _setup_folder():
    """A temporary folder holding OpenSim's inputs and setups, as they were run."""
    folder = Path(tempfile.mkdtemp(prefix="hipsim-bench-opensim-"))
    for name in FILES:
        shutil.copy(INPUTS / name, folder / name)
    for name in ("setup_static_optimization.xml", "setup_JointReaction.xml"):
        shutil.copy(SETUPS / name, folder / name)
    return folder


def _python(code, folder):
    out = subprocess.run([sys.executable, "-c", code], cwd=str(folder), capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _hipsim_fresh(folder):
    """Wall time of ``hipsim run`` in a fresh process (caches warm: one warm-up run first)."""
    config = folder / "trial.yaml"
    import yaml
    config.write_text(yaml.safe_dump(_hipsim_config(folder)))
    cmd = [sys.executable, "-m", "hipsim.cli", "run", str(config), "-o", str(folder / "hipsim.nc")]
    subprocess.run(cmd, check=True, capture_output=True)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t


def run():
    try:
        import opensim  # noqa: F401
    except ImportError:
        print("bench_opensim: the opensim package is not installed; no rows")
        return []
    if not all((INPUTS / f).exists() for f in FILES):
        print(f"bench_opensim: {INPUTS} not found; no rows")
        return []
    folder = _setup_folder()
    try:
        osim = _python(_OPENSIM.format(repeats=2), folder)
        (so1, jr1), (so2, jr2) = osim["laps"]
        fresh_os = osim["import_s"] + so1 + jr1
        fresh_hs = _hipsim_fresh(folder)
        repeats = _python(_HIPSIM_REPEATS.format(config=repr(_hipsim_config(folder))), folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    per_trial = repeats["seconds"] / repeats["trials"]
    return [
        row(f"OpenSim's walking example, {FRAMES} frames, fresh process: hipsim run (result written)",
            round(fresh_hs, 2), "s", round(fresh_os, 1),
            f"s OpenSim 4.6 import {osim['import_s']:.1f} + SO {so1:.1f} + JR {jr1:.1f}",
            round(fresh_os / fresh_hs, 1),
            "same inputs (its model, RRA kinematics, foot_floor_loads.xml, 0.5-1.999 s); hipsim with "
            "solver.min_activation 0.01 as OpenSim; caches warm; one run each"),
        row(f"same trial, repeated in one process: hipsim new trials vs OpenSim's second SO + JR",
            round(FRAMES / per_trial), "frames/s", round(FRAMES / (so2 + jr2), 1),
            f"frames/s OpenSim SO {so2:.1f} s + JR {jr2:.1f} s", round((so2 + jr2) / per_trial, 1),
            f"hipsim: {repeats['trials']} windows of the trial (the files parsed once per process, "
            f"everything else per trial), {per_trial * 1000:.0f} ms a trial"),
    ]


if __name__ == "__main__":
    main(lambda *a: None, run)
