#!/usr/bin/env python
"""Build hipsim's shipped atlas bones, ``hipsim/data/geometry/atlas/``.

Dev-time tool: reads the Auckland Musculoskeletal Atlas Project mean bones from the shared
reference data (``../shared/reference/hip_geometry/map_atlas_mean``; Apache-2.0, shipped with
credit) and the model's own bone surfaces (``hipsim/data/geometry/*.vtp``), and writes:

* ``pelvis.npz``, ``femur_r.npz``, ``tibia_fibula_r.npz``, ``patella_r.npz``: ``vertices``
  (float32 [mm], exactly the STL's numbers, in the atlas's own coordinates) and ``faces``
  (int32) of each bone, unchanged;
* ``model_frames.npz``: where the anatomical frames of :mod:`hipsim.landmarks` sit in the
  model's (gait2392's) body frames, found with the same functions on the model's bone surfaces:
  ``pelvis_axes`` (3, 3) rows = the anterior pelvic plane's anterior, superior, right axes in the
  model pelvis frame; ``femur_axes`` (3, 3) rows = the femur's anterior, superior (mechanical)
  and lateral (posterior condylar) axes in the model femur frame.

Usage::

    .venv/bin/python tools/build_atlas.py [--reference DIR] [--out DIR]

The output is deterministic; `tests/test_bones.py` checks the shipped files against this.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from hipsim.landmarks import anterior_pelvic_plane, femur_landmarks  # noqa: E402
from hipsim.meshio import read_mesh  # noqa: E402

DEFAULT_REFERENCE = REPO.parent / "shared" / "reference" / "hip_geometry" / "map_atlas_mean"
DEFAULT_OUT = REPO / "hipsim" / "data" / "geometry" / "atlas"
MODEL_GEOMETRY = REPO / "hipsim" / "data" / "geometry"
BONES = {"pelvis": "pelvis_mean.stl", "femur_r": "femur_right_mean.stl",
         "tibia_fibula_r": "tibia_fibula_right_mean.stl", "patella_r": "patella_right_mean.stl"}


def read_vtp(name):
    """(vertices [mm], faces) of one of the model's shipped VTK XML PolyData bones."""
    import pyvista as pv
    mesh = pv.read(MODEL_GEOMETRY / name).triangulate().clean()
    return 1000.0 * np.asarray(mesh.points, float), np.asarray(mesh.regular_faces, np.int64)


def model_frames():
    """The anatomical axes in gait2392's pelvis and femur frames (module docstring)."""
    pelvis = np.concatenate([read_vtp(n)[0] for n in ("pelvis.vtp", "l_pelvis.vtp", "sacrum.vtp")])
    pelvis_axes = anterior_pelvic_plane(pelvis)[0]
    femur_axes = femur_landmarks(*read_vtp("femur_r.vtp"), name="femur_r.vtp").axes
    return pelvis_axes, femur_axes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, stl in BONES.items():
        mesh = read_mesh(args.reference / stl)
        np.savez_compressed(args.out / f"{name}.npz", vertices=mesh.vertices.astype(np.float32),
                            faces=mesh.faces.astype(np.int32))
        print(f"{name}: {len(mesh.vertices)} vertices, {len(mesh.faces)} faces")
    pelvis_axes, femur_axes = model_frames()
    np.savez(args.out / "model_frames.npz", pelvis_axes=pelvis_axes, femur_axes=femur_axes)
    tilt = np.degrees(np.arctan2(-pelvis_axes[0, 1], pelvis_axes[0, 0]))
    print(f"model pelvis frame: anterior pelvic plane tilted {tilt:.2f} deg anteriorly")
    shutil.copyfile(args.reference / "LICENSE", args.out / "LICENSE")


if __name__ == "__main__":
    main()
