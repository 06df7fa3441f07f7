"""A run result in other tools' formats: OpenSim storage files, a tidy CSV, and a ParaView
time series of the posed hip.

* ``sto``: ``PREFIX_JointReaction.sto`` (the right hip's reaction on the pelvis in the pelvis
  frame, N, OpenSim JointReaction's column names ``hip_r_on_pelvis_in_pelvis_f{x,y,z}``),
  ``PREFIX_StaticOptimization_force.sto`` (musculotendon forces, N) and
  ``PREFIX_StaticOptimization_activation.sto`` (activations), the names and layout OpenSim's
  AnalyzeTool writes, time from right foot strike [s];
* ``csv``: one row per value: ``variable, label, frame, gait_phase, time, value, units``
  (``label`` is the axis, muscle, dof... of a labelled variable; frame-less variables have an
  empty frame);
* ``vtp``: ``OUT/acetabulum.vtp`` (the hip bone, fixed: the pelvis frame, mm, origin at the hip
  centre; cell data ``region``), per frame ``OUT/femur_NNNN.vtp`` (the femur's head, neck and
  trochanters posed in the pelvis frame, cell data ``region``), ``OUT/cartilage_NNNN.vtp`` (the
  acetabular cartilage faces, ``contact_pressure`` [MPa] as cell data and averaged to point
  data) and ``OUT/rim_NNNN.vtp`` (the acetabular rim, point data ``clearance`` [mm] to the
  nearest femoral head-neck, neck or trochanter vertex, as the animations colour it), and
  ``OUT/hip.pvd``, the ParaView collection over time (seconds from right foot strike). The run is re-made from the result's stored config (its numbers are
  checked against the file, see :func:`hipsim.scene.scene_for`).

Every file is written to a temporary name beside its target and renamed when complete
(:func:`hipsim.meshio.staged_write`; pyvista's writers likewise, :func:`_save_atomic`).
"""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np

from .errors import InputError
from .meshio import polydata, staged_write

FORMATS = ("sto", "csv", "vtp")


def _write_text(path, text):
    """``text`` to ``path``, complete or not at all (:func:`hipsim.meshio.staged_write`)."""
    os.replace(staged_write(path, text.encode()), path)


def storage_text(name, time, columns):
    """An OpenSim storage (.sto) file's text: header, ``time`` and the named columns (dict of
    name -> (n,) array)."""
    lines = [name, "version=1", f"nRows={len(time)}", f"nColumns={len(columns) + 1}", "inDegrees=no",
             "endheader", "\t".join(["time", *columns])]
    table = np.column_stack([np.asarray(time, float), *(np.asarray(v, float) for v in columns.values())])
    lines += ["\t".join(f"{x:.10g}" for x in row) for row in table]
    return "\n".join(lines) + "\n"


def export_sto(result, prefix):
    """OpenSim storage files of a run result (module docstring); returns the paths written."""
    prefix = Path(prefix)
    time = result["time"].values
    newtons = result["hip_contact_force"].values * float(result.attrs["body_weight_n"])
    muscles = [str(m) for m in result["muscle"].values]
    files = {
        f"{prefix.name}_JointReaction.sto": (
            "JointReaction", {f"hip_r_on_pelvis_in_pelvis_f{a}": newtons[:, k] for k, a in enumerate("xyz")}),
        f"{prefix.name}_StaticOptimization_force.sto": (
            "StaticOptimization_force", dict(zip(muscles, result["muscle_force"].values.T))),
        f"{prefix.name}_StaticOptimization_activation.sto": (
            "StaticOptimization_activation", dict(zip(muscles, result["muscle_activation"].values.T))),
    }
    written = []
    for name, (title, columns) in files.items():
        path = prefix.parent / name
        _write_text(path, storage_text(title, time, columns))
        written.append(path)
    return written


def csv_rows(result):
    """The tidy rows of a run result: (variable, label, frame, gait_phase, time, value, units)."""
    phase, time = result["gait_phase"].values, result["time"].values
    for name, var in result.data_vars.items():
        units = var.attrs.get("units", "")
        labels = [d for d in var.dims if d != "frame"]
        if len(labels) > 1:
            continue                      # element x axis tables (cartilage maps): not tidy rows
        values = var.values
        if "frame" not in var.dims:
            for j, label in enumerate(result[labels[0]].values if labels else [""]):
                yield name, str(label), "", "", "", np.atleast_1d(values)[j], units
            continue
        if labels:
            values = var.transpose("frame", labels[0]).values
            names = [str(x) for x in result[labels[0]].values]
        else:
            values, names = values[:, None], [""]
        for f in range(values.shape[0]):
            for j, label in enumerate(names):
                yield name, label, f, phase[f], time[f], values[f, j], units


def export_csv(result, path):
    """A tidy CSV of a run result (module docstring); returns ``[path]``."""
    text = io.StringIO(newline="")
    out = csv.writer(text)
    out.writerow(("variable", "label", "frame", "gait_phase", "time", "value", "units"))
    for row in csv_rows(result):
        out.writerow(row[:3] + tuple(_number(x) for x in row[3:6]) + row[6:])
    _write_text(path, text.getvalue())
    return [Path(path)]


def _number(x):
    if isinstance(x, str):
        return x
    x = x.item() if hasattr(x, "item") else x
    if isinstance(x, bool):
        return int(x)
    return repr(float(x)) if isinstance(x, (float, np.floating)) else x


def _compact(vertices, faces, region=None):
    """PolyData of the vertices ``faces`` use (points as float32: sub-micrometre at mm scale,
    half the file)."""
    used, local = np.unique(np.asarray(faces), return_inverse=True)
    return polydata(np.asarray(vertices, np.float32)[used], local.reshape(-1, 3), region)


def export_vtp(source, folder, times):
    """The posed hip per frame as VTK PolyData plus a ParaView ``.pvd`` collection (module
    docstring); ``source`` is a run result file or a config, ``times`` (n_frame,) [s] the
    collection's time steps. Returns the ``.pvd`` path."""
    import pyvista as pv

    from .mesh import FEMUR_REGIONS
    from .scene import scene_for
    folder = Path(folder)
    scene = scene_for(source)
    femur, acetabulum = scene.femur, scene.acetabulum
    joint = femur.face_region != FEMUR_REGIONS["shaft"]
    femur_faces, femur_region = np.asarray(femur.faces)[joint], np.asarray(femur.face_region)[joint]
    cartilage = np.asarray(acetabulum.faces)[scene.cartilage_faces]
    ring = np.arange(len(scene.rim_points))
    rim_lines = np.concatenate([[len(ring) + 1], ring, [0]]).astype(np.int64)
    folder.mkdir(parents=True, exist_ok=True)
    _save_atomic(_compact(acetabulum.vertices, acetabulum.faces, acetabulum.face_region),
                 folder / "acetabulum.vtp")
    entries = []
    for f in range(len(scene.phase)):
        parts = {
            "femur": _compact(femur.vertices @ scene.femur_rotation[f].T, femur_faces, femur_region),
            "cartilage": _compact(acetabulum.vertices, cartilage),
            "rim": pv.PolyData(np.asarray(scene.rim_points, np.float32), lines=rim_lines),
        }
        parts["cartilage"].cell_data["contact_pressure"] = scene.pressure[f]
        parts["cartilage"] = parts["cartilage"].cell_data_to_point_data(pass_cell_data=True)
        parts["rim"].point_data["clearance"] = scene.rim_clearance[f]
        entries.append((times[f], 0, "acetabulum.vtp"))
        for k, (part, mesh) in enumerate(parts.items(), start=1):
            name = f"{part}_{f:04d}.vtp"
            _save_atomic(mesh, folder / name)
            entries.append((times[f], k, name))
    pvd = folder / "hip.pvd"
    body = "\n".join(f'    <DataSet timestep="{t:.6g}" part="{k}" file="{name}"/>' for t, k, name in entries)
    _write_text(pvd, '<?xml version="1.0"?>\n<VTKFile type="Collection" version="0.1">\n  <Collection>\n'
                     f"{body}\n  </Collection>\n</VTKFile>\n")
    return pvd


def _save_atomic(mesh, path):
    tmp = path.with_name(f".{path.stem}.part{path.suffix}")
    try:
        mesh.save(str(tmp), binary=True)
        os.replace(tmp, path)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise


def export(result_path, fmt, output):
    """``hipsim export``: write ``result_path`` (a run result) as ``fmt`` to ``output`` (a file
    prefix for sto, a file for csv, a folder for vtp); returns the paths written."""
    from .plots import result_kind
    from .sweep_store import open_result
    if fmt not in FORMATS:
        raise InputError("--format", f"expected one of {', '.join(FORMATS)}, got {fmt!r}")
    output = Path(output)
    parent = output if fmt == "vtp" else output.parent
    if fmt != "vtp" and not parent.is_dir():
        raise InputError(str(output), "its folder does not exist")
    if fmt != "vtp" and output.is_dir():
        raise InputError(str(output), "is a folder; name a file" + (" prefix" if fmt == "sto" else ""))
    if fmt == "vtp" and output.exists() and not output.is_dir():
        raise InputError(str(output), "is a file; name a folder for the .vtp series")
    ds = open_result(result_path)
    if result_kind(ds) != "run":
        raise InputError(str(result_path), "takes a run result (hipsim run), not a sweep or rom result")
    with ds:
        ds = ds.load()
    if fmt == "sto":
        return export_sto(ds, output)
    if fmt == "csv":
        return export_csv(ds, output)
    return [export_vtp(result_path, output, ds["time"].values)]
