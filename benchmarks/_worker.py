"""Shared pieces of the benchmarks: single-thread workers pinned to one core, and table rows."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Every thread pool at one thread, so "per core" means what it says.
SINGLE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                     "NUMBA_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1"}


def run_worker(script, argv, env_extra, pin=True):
    """Run ``script --worker *argv`` in a fresh process (pinned to one CPU when ``pin``) and
    return the JSON object its last stdout line holds."""
    env = {**os.environ, **env_extra}
    cmd = [sys.executable, str(Path(script).resolve()), "--worker", *argv]
    if pin and hasattr(os, "sched_getaffinity"):
        cpu = min(os.sched_getaffinity(0))
        cmd = [sys.executable, "-c",
               "import os, runpy, sys; os.sched_setaffinity(0, {%d}); sys.argv = %r; "
               "runpy.run_path(sys.argv[0], run_name='__main__')" % (cpu, cmd[1:])]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=str(ROOT))
    if out.returncode != 0:
        raise RuntimeError(f"benchmark worker {Path(script).name} {argv[:1]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def row(benchmark, measured, unit, baseline, baseline_unit, ratio, notes):
    """One row of the benchmark table (see ``run_all.py``)."""
    return {"benchmark": benchmark, "measured": measured, "unit": unit, "baseline": baseline,
            "baseline_unit": baseline_unit, "ratio": ratio, "notes": notes}


def main(worker, run):
    """The ``__main__`` of a benchmark module: ``--worker ARGS`` runs ``worker(*ARGS)`` (inside the
    pinned subprocess), otherwise the module's rows are printed as a table."""
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(*sys.argv[2:])
    else:
        from run_all import print_table
        print_table(run())
