"""Force-plate ground reaction forces from a C3D file (through ezc3d), as an OpenSim GRF table.

The plates' force, centre of pressure and free moment come from ezc3d's force-platform
extraction (Michaud & Begon 2021, J Open Source Softw 6:2911, doi:10.21105/joss.02911), which
applies each plate's calibration, corners and origin. The plates that carry the right foot are
summed (force and free moment; the CoP is the vertical-force-weighted mean of the loaded plates'),
then turned from the laboratory's axes into OpenSim's (y up) by the rotations the user applied to
the markers before inverse kinematics (OpenSim users rotate a z-up laboratory by -90 deg about x,
sometimes after a turn about z), and converted to N, m and N m. Time runs from the file's first
frame, as OpenSim's C3DFileAdapter gives the markers. Kinematics stay OpenSim ``.mot``/``.sto``
files: markers go through OpenSim's scaling and inverse kinematics first.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .errors import InputError

#: vertical force [N] above which a plate counts as loaded
LOADED_N = 20.0
#: share of the loaded force that must point along +y after the rotations
VERTICAL_SHARE = 0.8
#: OpenSim column names of the right foot's GRF, as ``read_opensim_table`` returns a .mot
COLUMNS = ("time", "ground_force_r_vx", "ground_force_r_vy", "ground_force_r_vz",
           "ground_force_r_px", "ground_force_r_py", "ground_force_r_pz",
           "ground_torque_r_x", "ground_torque_r_y", "ground_torque_r_z")
_UNIT_M = {"mm": 1e-3, "m": 1.0, "cm": 1e-2}
_UNIT_NM = {"Nmm": 1e-3, "Nm": 1.0}


def rotation_matrix(rotations):
    """The matrix of successive right-handed rotations ``[(axis, degrees), ...]`` of vectors,
    the first applied first (OpenSim's ``Rotation(angle, axis)`` applied to each row in turn)."""
    total = np.eye(3)
    for axis, degrees in rotations:
        k = "xyz".index(axis)
        c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
        r = np.eye(3)
        i, j = (k + 1) % 3, (k + 2) % 3
        r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
        total = r @ total
    return total


def read_c3d_grf(path, right_plates, rotations=()):
    """The right foot's GRF of a C3D file as an OpenSim GRF table.

    Parameters
    ----------
    path : str or Path
    right_plates : sequence of int
        1-based numbers of the force plates the right foot lands on.
    rotations : sequence of (axis, degrees)
        Laboratory -> OpenSim ground, as applied to the markers (e.g. ``[("x", -90)]``).

    Returns
    -------
    columns : list[str]
        :data:`COLUMNS`.
    data : (n_sample, 10) float
        Time [s] from the first frame, force [N], CoP [m] (zero where unloaded) and free moment
        [N m], OpenSim ground axes, at the analog rate.

    Raises
    ------
    InputError
        Unreadable file, no force plates, a plate number out of range, or forces that do not
        point up after the rotations (naming ``activity.c3d_rotation_deg``).
    """
    where = str(path)
    try:
        import ezc3d
    except ImportError:
        raise InputError(where, "reading .c3d needs the ezc3d package (pip install ezc3d)") from None
    if not Path(path).is_file():
        raise InputError(where, "file not found")
    try:
        c3d = ezc3d.c3d(str(path), extract_forceplat_data=True)
        plates = c3d["data"]["platform"]
        rate = float(c3d["parameters"]["ANALOG"]["RATE"]["value"][0])
    except Exception as exc:      # noqa: BLE001 - any damaged file is refused the same way
        raise InputError(where, f"cannot read the C3D force plates ({type(exc).__name__})") from None
    if not plates:
        raise InputError(where, "the C3D file has no force plates")
    bad = [p for p in right_plates if not 1 <= int(p) <= len(plates)]
    if bad:
        raise InputError("activity.c3d_right_plates", f"plates {bad} not in the file (it has 1-{len(plates)})")
    rot = rotation_matrix(rotations)
    n = plates[0]["force"].shape[1]
    force, moment, weighted, weight = (np.zeros((n, 3)) for _ in range(4))
    for number in right_plates:
        plate = plates[int(number) - 1]
        f = np.nan_to_num(plate["force"].T)
        cop = np.nan_to_num(plate["center_of_pressure"].T) * _UNIT_M.get(plate["unit_position"], 1e-3)
        free = np.nan_to_num(plate["Tz"].T) * _UNIT_NM.get(plate["unit_moment"], 1e-3)
        f, cop, free = f @ rot.T, cop @ rot.T, free @ rot.T
        load = np.where(f[:, 1] > LOADED_N, f[:, 1], 0.0)
        force += f
        moment += free
        weighted += cop * load[:, None]
        weight[:, 0] += load
    loaded = weight[:, 0] > 0
    if loaded.any():
        mean_force = np.abs(force[loaded]).mean(axis=0)
        if force[loaded, 1].mean() < VERTICAL_SHARE * np.linalg.norm(mean_force):
            up = "xyz"[int(np.argmax(mean_force))]
            raise InputError("activity.c3d_rotation_deg", f"after the rotations the plates' force points along "
                                                          f"{up}, not up (y): give the rotations applied to the markers")
    cop = np.divide(weighted, weight[:, :1], out=np.zeros_like(weighted), where=loaded[:, None])
    time = np.arange(n) / rate
    return list(COLUMNS), np.column_stack([time, force, cop, moment])
