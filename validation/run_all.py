#!/usr/bin/env python
"""hipsim's validation suite: ``python validation/run_all.py -o DIR`` (or ``hipsim validate -o DIR``).

Discovers ``validation/val_*.py``; each module has ``run(outdir) -> list[dict]`` (rows with keys
``check``, ``measured``, ``target``, ``source``, ``pass``: True, False or None for report-only) and
fills its ``FIGURES`` (PNG names in ``outdir``) and ``FINDINGS`` (paragraphs). Writes
``DIR/report.md``: every row in one table, then each module's figures and findings.

Exit status: 0 when every module ran (bands that are missed are reported, not fatal); 1 when a
module raised; 2 with an ``error:`` line when the development reference data
(``../shared/reference``, or ``$HIPSIM_REFERENCE``) are missing.
"""
from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import _common as C  # noqa: E402

MARK = {True: "hit", False: "**MISS**", None: "report"}


def discover():
    return sorted(HERE.glob("val_*.py"))


def load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cell(value):
    if isinstance(value, float):
        value = f"{value:.3g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def _git_commit():
    try:
        out = subprocess.run(["git", "-C", str(HERE.parent), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(HERE.parent), "status", "--porcelain"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def write_report(outdir, results, total_s):
    import hipsim
    rows = [(name, r) for name, res in results for r in res["rows"]]
    counts = {k: sum(1 for _, r in rows if r.get("pass") is k) for k in (True, False, None)}
    lines = [
        "# hipsim validation report",
        "",
        f"hipsim {hipsim.__version__}, commit {_git_commit()}; generated "
        f"{datetime.datetime.now().isoformat(timespec='seconds')} on {platform.node()} "
        f"({os.cpu_count()} cores, Python {platform.python_version()}); total {total_s:.0f} s.",
        f"Reference data: `{C.reference_dir()}`.",
        "",
        f"**{counts[True]} bands hit, {counts[False]} missed, {counts[None]} reported without a band.**"
        + ("" if not any(res["error"] for _, res in results) else
           " **Some modules failed to run; see their sections.**"),
        "",
        "Nothing in hipsim is tuned to these numbers: each row is what the mechanics gives.",
        "",
        "| module | check | measured | target | source | result |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        lines.append("| " + " | ".join(_cell(x) for x in (
            name.replace("val_", ""), r.get("check", ""), r.get("measured", ""), r.get("target", ""),
            r.get("source", ""), MARK.get(r.get("pass"), str(r.get("pass"))))) + " |")
    for name, res in results:
        lines += ["", f"## {res['title']}", "", f"`{name}.py`, {res['seconds']:.1f} s.", ""]
        if res["error"]:
            lines += ["**The module failed:**", "", "```", res["error"].rstrip(), "```", ""]
        for fig in res["figures"]:
            lines += [f"![{fig}]({fig})", ""]
        for paragraph in res["findings"]:
            lines += [paragraph, ""]
    (outdir / "report.md").write_text("\n".join(lines) + "\n")
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output-dir", default="validation-report")
    parser.add_argument("-k", "--only", default=None, help="run only modules whose name contains this")
    args = parser.parse_args(argv)

    ref = C.reference_dir()
    if not ref.is_dir():
        print(f"error: {ref}: reference data not found (development data in ../shared/reference "
              "next to the work tree, or set HIPSIM_REFERENCE)", file=sys.stderr)
        return 2
    outdir = Path(args.output_dir)
    outdir.mkdir(parents=True, exist_ok=True)

    results = []
    start = time.perf_counter()
    for path in discover():
        if args.only and args.only not in path.stem:
            continue
        t = time.perf_counter()
        res = {"title": path.stem, "rows": [], "figures": [], "findings": [], "error": None}
        try:
            module = load(path)
            res["title"] = getattr(module, "TITLE", path.stem)
            res["rows"] = list(module.run(outdir))
            res["figures"] = list(getattr(module, "FIGURES", []))
            res["findings"] = list(getattr(module, "FINDINGS", []))
        except C.ReferenceMissing as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except Exception:  # noqa: BLE001 - report the failure and carry on with the others
            res["error"] = traceback.format_exc()
            res["rows"].append(C.row("module ran", "raised an exception", "runs", path.name, False))
        res["seconds"] = time.perf_counter() - t
        results.append((path.stem, res))
        n_miss = sum(1 for r in res["rows"] if r.get("pass") is False)
        print(f"{path.stem}: {len(res['rows'])} rows, {n_miss} missed, {res['seconds']:.1f} s"
              + ("  (FAILED)" if res["error"] else ""), flush=True)
    counts = write_report(outdir, results, time.perf_counter() - start)
    print(f"wrote {outdir / 'report.md'}: {counts[True]} hit, {counts[False]} missed, "
          f"{counts[None]} report-only")
    return 1 if any(res["error"] for _, res in results) else 0


if __name__ == "__main__":
    sys.exit(main())
