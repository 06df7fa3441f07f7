"""Run every ``benchmarks/bench_*.py`` module's ``run()`` and print one table.

Each ``run()`` returns a list of rows, dicts with the keys

    benchmark      what is measured (str)
    measured       the figure (number or str), with ``unit``
    baseline       the figure it is compared with, measured in the same process (or an anchor,
                   said so in ``baseline_unit`` / ``notes``), with ``baseline_unit``
    ratio          measured / baseline, or whatever the notes say it is (number or None)
    notes          aims, settings, profile (str)

Usage: ``python benchmarks/run_all.py [-k SUBSTRING] [--json PATH]``. The table ends with the
machine's core count; ``--json`` writes the machine description and every row.
"""
import argparse
import importlib.util
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def machine():
    """Core counts, CPU model and library versions."""
    info = {"cpu_count": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform()}
    if hasattr(os, "sched_getaffinity"):
        info["usable_cores"] = len(os.sched_getaffinity(0))
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    for name in ("numpy", "scipy", "numba"):
        try:
            info[name] = __import__(name).__version__
        except ImportError:
            pass
    return info


def discover(pattern=None):
    """The ``bench_*.py`` files of this folder, sorted, optionally filtered by a substring."""
    files = sorted(HERE.glob("bench_*.py"))
    return [f for f in files if pattern is None or pattern in f.stem]


def load(path):
    spec = importlib.util.spec_from_file_location(f"hipsim_benchmarks_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fmt(value, unit=""):
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        if value != value:            # NaN
            text = "nan"
        elif abs(value) >= 100:
            text = f"{value:,.0f}"
        elif abs(value) >= 1:
            text = f"{value:.3g}"
        else:
            text = f"{value:.3g}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


def print_table(rows, file=None):
    """Print the rows as one fixed-width table (notes last, unwrapped)."""
    file = file or sys.stdout
    header = ("benchmark", "measured", "baseline", "ratio", "notes")
    body = []
    for r in rows:
        ratio = r.get("ratio")
        body.append((str(r.get("benchmark", "")), _fmt(r.get("measured"), r.get("unit", "")),
                     _fmt(r.get("baseline"), r.get("baseline_unit", "")),
                     "" if ratio is None else (f"{ratio:,.3g}x" if isinstance(ratio, (int, float)) else str(ratio)),
                     str(r.get("notes", ""))))
    widths = [max(len(header[i]), *(len(b[i]) for b in body)) if body else len(header[i]) for i in range(4)]
    line = "  ".join(h.ljust(w) for h, w in zip(header[:4], widths)) + "  " + header[4]
    print(line, file=file)
    print("-" * min(len(line) + 40, 200), file=file)
    for b in body:
        print("  ".join(c.ljust(w) for c, w in zip(b[:4], widths)) + "  " + b[4], file=file)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", dest="pattern", help="only modules whose name contains this")
    parser.add_argument("--json", dest="json_path", help="also write the rows here")
    args = parser.parse_args(argv)

    rows, failed = [], []
    for path in discover(args.pattern):
        t0 = time.perf_counter()
        try:
            module_rows = list(load(path).run())
        except Exception:                                   # report and carry on with the rest
            failed.append(path.stem)
            traceback.print_exc()
            module_rows = [{"benchmark": path.stem, "measured": "FAILED", "notes": "see traceback above"}]
        for r in module_rows:
            r.setdefault("module", path.stem)
        rows.extend(module_rows)
        print(f"# {path.stem}: {len(module_rows)} rows in {time.perf_counter() - t0:.1f} s", file=sys.stderr)

    info = machine()
    print_table(rows)
    cores = info.get("usable_cores", info["cpu_count"])
    print(f"\nmachine: {info['cpu_count']} cores ({cores} usable), {info.get('cpu', 'cpu unknown')}; "
          f"python {info['python']}, numpy {info.get('numpy')}, scipy {info.get('scipy')}, numba {info.get('numba')}")
    if args.json_path:
        with open(args.json_path, "w") as fh:
            json.dump({"machine": info, "rows": rows, "failed": failed}, fh, indent=2, default=str)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
