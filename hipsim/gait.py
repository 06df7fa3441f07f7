"""The gait library and trial files: one cycle of coordinates, ground reaction force and centre
of pressure, normalized from right foot strike (0 %) to the next (100 %).

Library trials ship in ``hipsim/data/gait/`` (sources and processing in ``SOURCES.md`` there);
users can drive the model with their own OpenSim ``.mot``/``.sto`` coordinates and GRF files.
"""
from __future__ import annotations

import functools
import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.interpolate import CubicSpline

from .errors import InputError, InputWarning

GAIT_DIR = Path(__file__).parent / "data" / "gait"
G = 9.80665

#: Library trials: activity -> trial name -> {speed [m/s] (None: the file's own) -> file name}.
#: A trial recorded at several speeds interpolates between them (``activity.trial`` picks one).
LIBRARY = {
    "walking": {"gait2392_subject01": {None: "walking.csv"}},
    "running": {"fukuchi2017": {2.5: "running_2.5.csv", 3.5: "running_3.5.csv", 4.5: "running_4.5.csv"},
                "hamner2010": {2.5: "running_hamner2010_2.5.csv", 3.5: "running_hamner2010_3.5.csv",
                               3.839: "running_hamner2010.csv", 4.5: "running_hamner2010_4.5.csv"}},
    "sprinting": {"dorn2012": {None: "sprinting_9.0.csv"}},
}
#: the speed of a trial at several speeds when ``activity.speed_m_s`` is null: Fukuchi's middle
#: speed; Hamner's measured one (the others are that cycle carried to them, see SOURCES.md)
REFERENCE_SPEED = {"fukuchi2017": 3.5, "hamner2010": 3.839}
#: the trial of each activity when ``activity.trial`` is null
DEFAULT_TRIAL = {"walking": "gait2392_subject01", "running": "hamner2010", "sprinting": "dorn2012"}
#: Single-trial activities accept speeds within this fraction of the trial's measured (and
#: nominal, e.g. the "9 m/s" sprint measured at 9.52 m/s) speed; the trial is used as recorded.
SINGLE_TRIAL_TOLERANCE = 0.05

COORDINATE_COLUMNS = ("pelvis_tilt", "pelvis_list", "pelvis_rotation", "pelvis_tx", "pelvis_ty",
                      "pelvis_tz", "hip_flexion_r", "hip_adduction_r", "hip_rotation_r",
                      "knee_angle_r", "ankle_angle_r", "subtalar_angle_r", "mtp_angle_r")
TRANSLATIONAL = frozenset(("pelvis_tx", "pelvis_ty", "pelvis_tz"))
ROTATIONAL = frozenset(COORDINATE_COLUMNS) - TRANSLATIONAL
REQUIRED_MOTION_COLUMNS = COORDINATE_COLUMNS[:11]
#: coordinates whose sign flips in the mirror image through the sagittal plane (a left leg run
#: on the right-leg model)
MIRRORED_COORDINATES = frozenset(("pelvis_list", "pelvis_rotation", "pelvis_tz"))
FOOT_STRIKE_THRESHOLD_N = 20.0


@dataclass(frozen=True)
class Trial:
    """One gait cycle, ready for inverse dynamics.

    Attributes
    ----------
    time : (n_frame,) float [s], from the cycle's first right foot strike.
    gait_phase : (n_frame,) float [%].
    coordinates : callable t -> (len(t), n_coord) coordinates [rad, m] in ``coordinate_names``
        order; ``coordinates(t, 1)`` gives rates.
    coordinate_names : tuple[str]
    grf : (n_frame, 3) float [N], ground on right foot, ground frame.
    cop : (n_frame, 3) float [m], in the frame named by ``cop_frame``.
    cop_frame : str, ``'ground'`` or a body name (``'calcn_r'``).
    free_moment : (n_frame, 3) float [N m], ground frame.
    speed : float [m/s]
    source : str
    """

    time: np.ndarray
    gait_phase: np.ndarray
    coordinates: object
    coordinate_names: tuple
    grf: np.ndarray
    cop: np.ndarray
    cop_frame: str
    free_moment: np.ndarray
    speed: float
    source: str

    @property
    def stride_time(self):
        return float(self.time[-1] - self.time[0])


# ----------------------------------------------------------------------------- library
@functools.lru_cache(maxsize=16)
def read_library_file(name):
    """A library CSV as (metadata dict, column names, (101, n_col) data)."""
    path = GAIT_DIR / name
    meta = {}
    with open(path) as fh:
        lines = fh.read().splitlines()
    body = []
    for line in lines:
        if line.startswith("#"):
            text = line[1:].strip()
            if ":" in text:
                key, value = text.split(":", 1)
                meta.setdefault(key.strip(), value.strip())
        elif line.strip():
            body.append(line)
    columns = [c.strip() for c in body[0].split(",")]
    data = np.array([[float(v) for v in row.split(",")] for row in body[1:]])
    return meta, columns, data


def _library_curves(name):
    meta, columns, data = read_library_file(name)
    curves = {c: data[:, i] for i, c in enumerate(columns)}
    return {
        "speed": float(meta["speed_m_s"]),
        "nominal_speed": float(meta.get("nominal_speed_m_s", meta["speed_m_s"])),
        "stride_time": float(meta["stride_time_s"]),
        "cop_frame": meta.get("cop_frame", "ground"),
        "source": meta.get("source", name),
        "curves": curves,
    }


def toe_off_warp(toe_off_from, toe_off_to, phase):
    """Phase s(p) [%] of a cycle whose toe-off is at ``toe_off_from`` at the points ``phase``
    [%] of a cycle whose toe-off is at ``toe_off_to``: s = p + d sin^2(pi p / 100) /
    sin^2(pi toe_off_to / 100), d = toe_off_from - toe_off_to. Smooth and periodic, so velocities
    stay continuous (a piecewise-linear stance/swing warp would put a jump in every one at
    toe-off); monotone while |d| pi / 100 < sin^2(pi toe_off_to / 100) (ValueError otherwise)."""
    k = (toe_off_from - toe_off_to) / np.sin(np.pi * toe_off_to / 100.0) ** 2
    if abs(k) * np.pi / 100.0 >= 1.0:
        raise ValueError(f"toe-off {toe_off_from:.1f} -> {toe_off_to:.1f} %: the warp would not be monotone")
    phase = np.asarray(phase, float)
    return phase + k * np.sin(np.pi * phase / 100.0) ** 2


def resample_cycle(phase, y, at, smooth):
    """A cycle curve ``y`` (n,) over ``phase`` [%] (0..100) at the phases ``at``: a periodic
    cubic spline of ``y`` less its end ramp (added back) where ``smooth`` (coordinates; ``y`` may
    then be (n, k), k curves at once), linear interpolation otherwise (forces, which switch on
    and off at contact)."""
    if not smooth:
        out = np.interp(at, phase, y)
        if y[-2] == 0.0:           # the foot lands at 100 %: no force ramps up before it
            out[(np.asarray(at) > phase[-2]) & (np.asarray(at) < phase[-1])] = 0.0
        return out
    y = np.asarray(y, float)
    s = ((phase - phase[0]) / (phase[-1] - phase[0])).reshape((-1,) + (1,) * (y.ndim - 1))
    spline = CubicSpline(phase, y - (y[-1] - y[0]) * s, bc_type="periodic", axis=0)
    s_at = ((np.asarray(at) - phase[0]) / (phase[-1] - phase[0])).reshape((-1,) + (1,) * (y.ndim - 1))
    return spline(at) + (y[-1] - y[0]) * s_at


def _toe_off(curves):
    """The % of the cycle at which the right foot leaves the ground (first point after foot
    strike with no vertical force), None when the file has no flight phase."""
    off = np.flatnonzero(curves["grf_y"][1:] <= 0.0)
    return float(curves["gait_phase"][1 + off[0]]) if off.size else None


def _warped(curves, phase, at):
    """A library trial's curves at the phases ``at`` (:func:`resample_cycle`: the coordinates by
    one periodic spline, the rest linearly)."""
    smooth = [k for k in curves if k in COORDINATE_COLUMNS]
    out = dict(zip(smooth, resample_cycle(phase, np.column_stack([curves[k] for k in smooth]), at, True).T))
    out.update({k: (v if k == "gait_phase" else resample_cycle(phase, v, at, False))
                for k, v in curves.items() if k not in out})
    return out


def _blend(a, b, w):
    """Blend of two library trials' curves, (1 - w) a + w b. Where both have a flight phase, each
    is first warped (:func:`toe_off_warp`) onto the blended toe-off, so that the blend has one
    toe-off instead of a half-weight force tail between the two."""
    if a["cop_frame"] != b["cop_frame"]:
        raise ValueError("cannot blend trials with different centre-of-pressure frames")
    ca, cb = _toe_off(a["curves"]), _toe_off(b["curves"])
    phase = a["curves"]["gait_phase"]
    parts = [a["curves"], b["curves"]]
    if ca is not None and cb is not None and ca != cb:
        target = (1 - w) * ca + w * cb
        parts = [_warped(part, phase, toe_off_warp(c, target, phase))
                 for part, c in ((a["curves"], ca), (b["curves"], cb))]
    curves = {k: (1 - w) * parts[0][k] + w * parts[1][k] for k in a["curves"]}
    return {"speed": (1 - w) * a["speed"] + w * b["speed"],
            "stride_time": (1 - w) * a["stride_time"] + w * b["stride_time"],
            "cop_frame": a["cop_frame"], "source": f"{a['source']} / {b['source']} blend {w:.3f}",
            "curves": curves}


def trial_table(kind, trial=None):
    """(name, {speed or None: file}) of a library trial of ``kind`` (``trial`` None: the
    activity's default). InputError names ``activity.trial`` for a trial the library lacks."""
    if kind not in LIBRARY:
        raise InputError("activity.kind", f"no built-in trial for {kind!r}")
    name = DEFAULT_TRIAL[kind] if trial is None else trial
    if name not in LIBRARY[kind]:
        raise InputError("activity.trial", f"no {kind} trial {name!r}; the library has "
                                           f"{', '.join(sorted(LIBRARY[kind]))}")
    return name, LIBRARY[kind][name]


def supported_speeds(kind, trial=None):
    """(lowest, highest) supported speed of an activity's trial [m/s]."""
    _, table = trial_table(kind, trial)
    if len(table) == 1:
        curves = _library_curves(next(iter(table.values())))
        lo, hi = sorted((curves["speed"], curves["nominal_speed"]))
        return lo * (1 - SINGLE_TRIAL_TOLERANCE), hi * (1 + SINGLE_TRIAL_TOLERANCE)
    speeds = sorted(table)
    return speeds[0], speeds[-1]


def reference_speed(kind, trial=None):
    """The speed used when ``activity.speed_m_s`` is null [m/s]: a single trial's own speed, or
    :data:`REFERENCE_SPEED` of a trial at several speeds."""
    name, table = trial_table(kind, trial)
    if len(table) == 1:
        (speed, file), = table.items()
        return speed if speed is not None else _library_curves(file)["speed"]
    return REFERENCE_SPEED[name]


def library_trial(kind, speed, frames, body_weight_n, length_scale=1.0, trial=None):
    """The built-in cycle of ``kind`` at ``speed`` (``trial``: its name in :data:`LIBRARY`, None
    for the activity's default), resampled to ``frames`` frames.

    A trial at several speeds blends the two bracketing speeds linearly (angles, GRF in body
    weights, CoP, stride time); pelvis progression is rebuilt as speed x time. Pelvis
    translations and CoP scale with the subject's ``length_scale``; GRF scales with
    ``body_weight_n``.
    """
    name, table = trial_table(kind, trial)
    lo, hi = supported_speeds(kind, trial)
    speed = reference_speed(kind, trial) if speed is None else float(speed)
    if not lo - 1e-9 <= speed <= hi + 1e-9:
        raise InputError("activity.speed_m_s",
                         f"{speed:g} m/s is outside the supported range of the {kind} trial {name} "
                         f"({lo:.2f}-{hi:.2f} m/s)")
    curves = _library_curves(next(iter(table.values()))) if len(table) == 1 else _curves_at(kind, name, speed)
    return _periodic_trial(curves, frames, body_weight_n, length_scale)


@functools.lru_cache(maxsize=16)
def _curves_at(kind, name, speed):
    """The curves of the multi-speed trial ``name`` at ``speed``: the file recorded at that speed,
    or the blend of the two bracketing ones (kept: a sweep asks for one speed many times)."""
    table = LIBRARY[kind][name]
    if speed in table:
        return {**_library_curves(table[speed]), "speed": speed}
    speeds = sorted(table)
    i = min(max(int(np.searchsorted(speeds, speed, side="right")) - 1, 0), len(speeds) - 2)
    w = (speed - speeds[i]) / (speeds[i + 1] - speeds[i])
    return {**_blend(_library_curves(table[speeds[i]]), _library_curves(table[speeds[i + 1]]), w), "speed": speed}


def _periodic_trial(trial, frames, body_weight_n, length_scale):
    c = trial["curves"]
    stride = trial["stride_time"]
    phase = c["gait_phase"]
    t_knots = phase / 100.0 * stride
    values = []
    for name in COORDINATE_COLUMNS:
        v = c[name].astype(float)
        if name in ROTATIONAL:
            v = np.deg2rad(v)
        else:
            v = v * length_scale
        values.append(v)
    values = np.column_stack(values)
    # Forward progression is not periodic: spline the deviation from uniform speed.
    ix = COORDINATE_COLUMNS.index("pelvis_tx")
    drift = (values[-1, ix] - values[0, ix]) / stride
    values[:, ix] -= drift * t_knots
    values[-1] = values[0]
    spline = CubicSpline(t_knots, values, bc_type="periodic", axis=0)

    def coordinates(t, nu=0, _spline=spline, _drift=drift, _ix=ix):
        out = np.array(_spline(np.asarray(t, float) % stride, nu))
        if nu == 0:
            out[:, _ix] += _drift * np.asarray(t, float)
        elif nu == 1:
            out[:, _ix] += _drift
        return out

    time = np.linspace(0.0, stride, frames)
    ph = np.linspace(0.0, 100.0, frames)
    grf = np.column_stack([np.interp(ph, phase, c[f"grf_{a}"]) for a in "xyz"]) * body_weight_n
    cop = np.column_stack([np.interp(ph, phase, c[f"cop_{a}"]) for a in "xyz"]) * length_scale
    free = np.zeros((frames, 3))
    free[:, 1] = np.interp(ph, phase, c["free_moment_y"]) * body_weight_n / G
    return Trial(time=time, gait_phase=ph, coordinates=coordinates,
                 coordinate_names=COORDINATE_COLUMNS, grf=grf, cop=cop, cop_frame=trial["cop_frame"],
                 free_moment=free, speed=float(trial["speed"]), source=trial["source"])


# ----------------------------------------------------------------------------- trial files
def read_opensim_table(path):
    """Read an OpenSim ``.mot`` or ``.sto`` table (parsed once per file version and process:
    the cache is keyed by the resolved path, modification time and size; each call gets its own
    copy of the data).

    Returns
    -------
    columns : list[str]
    data : (n_row, n_col) float
    in_degrees : bool or None (None when the header does not say)

    Raises
    ------
    InputError
        Unreadable file, no ``endheader``, ragged or non-numeric rows, fewer than 4 rows,
        non-finite values, or time not strictly increasing.
    """
    try:
        stat = os.stat(path)
    except OSError as exc:
        raise InputError(str(path), f"cannot read file ({exc.strerror or exc.__class__.__name__})")
    columns, data, in_degrees = _parsed_table(str(path), stat.st_mtime_ns, stat.st_size)
    return list(columns), data.copy(), in_degrees


@functools.lru_cache(maxsize=8)
def _parsed_table(path, mtime_ns, size):
    """:func:`read_opensim_table` of one file version (``mtime_ns`` and ``size`` key the cache)."""
    where = str(path)
    try:
        with open(path, "r", errors="strict") as fh:
            lines = fh.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(where, f"cannot read file ({getattr(exc, 'strerror', None) or exc.__class__.__name__})")
    try:
        end = next(i for i, line in enumerate(lines) if line.strip().lower() == "endheader")
    except StopIteration:
        raise InputError(where, "not an OpenSim table (no 'endheader' line)")
    in_degrees = None
    for line in lines[:end]:
        key = line.strip().replace(" ", "").lower()
        if key.startswith("indegrees="):
            in_degrees = key.split("=", 1)[1].startswith("yes")
    rows = [line for line in lines[end + 1:] if line.strip()]
    if not rows:
        raise InputError(where, "no column header after 'endheader'")
    columns = rows[0].split()
    if len(set(columns)) != len(columns):
        raise InputError(where, "duplicate column names")
    values = [row.split() for row in rows[1:]]
    for i, row in enumerate(values):
        if len(row) != len(columns):
            raise InputError(where, f"data row {i + 1} has {len(row)} values but the header names "
                                    f"{len(columns)} columns (truncated or ragged file)")
    try:
        data = np.array(values, dtype=float).reshape(len(values), len(columns))
    except ValueError:
        raise InputError(where, "non-numeric value in the data rows")
    if data.shape[0] < 4:
        raise InputError(where, f"too few data rows ({data.shape[0]}; need at least 4)")
    if not np.all(np.isfinite(data)):
        raise InputError(where, "contains NaN or infinite values")
    if columns[0].lower() != "time":
        raise InputError(where, "first column must be 'time'")
    if np.any(np.diff(data[:, 0]) <= 0):
        raise InputError(where, "time is not strictly increasing")
    data.setflags(write=False)                 # the cached copy is never handed out
    return tuple(columns), data, in_degrees


_RIGHT_TOKENS = ("right", "_r_", "r_", "_r")


def _right_foot_columns(columns, where):
    """Names of the right foot's force (vx, vy, vz), point (px, py, pz) and torque (x, y, z)."""
    return _foot_columns(columns, where, "right")


def _foot_columns(columns, where, side):
    """Names of one foot's (``side``: right or left) force, point and torque columns."""
    letter = side[0]

    def find(kind, suffixes):
        hits = []
        for name in columns:
            low = name.lower()
            if kind not in low or not low.endswith(suffixes[0]):
                continue
            stem = low[: -len(suffixes[0])]
            if any(tok in f"_{stem}_" for tok in (f"_{side}", f"_{letter}_")) or stem.startswith(f"{letter}_"):
                hits.append(name[: -len(suffixes[0])])
        return hits

    force = find("force", ("vx",))
    point = find("force", ("px",))
    torque = find("torque", ("x",))
    if len(force) != 1 or len(point) != 1:
        raise InputError(where, f"cannot identify the {side} foot's GRF columns; expected names like "
                                f"ground_force_{letter}_vx/px or {side}_foot_force_vx/px")
    names = {"force": [force[0] + s for s in ("vx", "vy", "vz")],
             "point": [point[0] + s for s in ("px", "py", "pz")],
             "torque": [torque[0] + s for s in ("x", "y", "z")] if len(torque) == 1 else None}
    for group in ("force", "point"):
        missing = [n for n in names[group] if n not in columns]
        if missing:
            raise InputError(where, f"missing columns {missing}")
    if names["torque"] and any(n not in columns for n in names["torque"]):
        names["torque"] = None
    return names


def butterworth2(cutoff, fs):
    """Coefficients (b, a) of the 2nd-order digital Butterworth low-pass at ``cutoff`` [Hz] for
    sampling rate ``fs`` [Hz]: the bilinear transform with pre-warping (what
    ``scipy.signal.butter(2, cutoff / (fs / 2))`` gives), K = tan(pi cutoff / fs)."""
    k = math.tan(math.pi * cutoff / fs)
    norm = 1.0 / (1.0 + math.sqrt(2.0) * k + k * k)
    b = np.array([k * k, 2.0 * k * k, k * k]) * norm
    a = np.array([1.0, 2.0 * (k * k - 1.0) * norm, (1.0 - math.sqrt(2.0) * k + k * k) * norm])
    return b, a


def _lfilter2(b, a, x, z):
    """Direct-form II transposed 2nd-order filter along axis 0 of ``x`` (n, m) from state ``z``
    (2, m)."""
    y = np.empty_like(x)
    z0, z1 = z[0].copy(), z[1].copy()
    for i in range(x.shape[0]):
        xi = x[i]
        yi = b[0] * xi + z0
        z0 = b[1] * xi - a[1] * yi + z1
        z1 = b[2] * xi - a[2] * yi
        y[i] = yi
    return y


def filtfilt2(b, a, data, padlen):
    """Zero-phase forward-backward filtering of ``data`` (n, ...) along axis 0 with a 2nd-order
    (b, a), as ``scipy.signal.filtfilt`` with its defaults: odd extension of ``padlen`` samples
    at each end and the steady-state initial conditions of ``lfilter_zi`` scaled by the first
    sample of each pass (Gustafsson's method is not used)."""
    x = np.asarray(data, float)
    shape = x.shape
    x = x.reshape(shape[0], -1)
    ext = np.concatenate([2.0 * x[:1] - x[padlen:0:-1], x, 2.0 * x[-1:] - x[-2:-padlen - 2:-1]])
    companion = np.array([[-a[1], -a[2]], [1.0, 0.0]])
    zi = np.linalg.solve(np.eye(2) - companion.T, b[1:] - a[1:] * b[0])
    y = _lfilter2(b, a, ext, zi[:, None] * ext[0])
    y = _lfilter2(b, a, y[::-1], zi[:, None] * y[-1])[::-1]
    return y[padlen:ext.shape[0] - padlen].reshape(shape)


def _lowpass(data, fs, cutoff):
    """Zero-lag 4th-order Butterworth low-pass along axis 0 (2nd order forwards and backwards);
    ``data`` as given when ``cutoff`` is None or near Nyquist. Written out in numpy: importing
    scipy.signal for it cost a fresh process ~1 s."""
    if cutoff is None or cutoff >= 0.45 * fs or data.shape[0] < 16:
        return data
    b, a = butterworth2(cutoff, fs)
    return filtfilt2(b, a, data, padlen=min(9, data.shape[0] - 1))


def external_loads_columns(path, body="calcn_r"):
    """The GRF file columns an OpenSim ExternalLoads XML applies to ``body``, and its data file.

    Returns ({"force": [vx, vy, vz], "point": [px, py, pz], "torque": [x, y, z] or None},
    data file path or None (``<datafile>``, relative to the XML)). InputError when no
    ExternalForce is applied to the body or its force or point is not expressed in ground.
    """
    import xml.etree.ElementTree as ET
    where = str(path)
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError, UnicodeDecodeError) as exc:
        raise InputError(where, f"cannot read the ExternalLoads XML ({type(exc).__name__})")
    for force in root.iter("ExternalForce"):
        if (force.findtext("applied_to_body") or "").strip() != body:
            continue
        for key in ("force_expressed_in_body", "point_expressed_in_body"):
            frame = (force.findtext(key) or "ground").strip()
            if frame != "ground":
                raise InputError(where, f"ExternalForce {force.get('name')}: {key} is {frame!r}; "
                                        "hipsim reads forces and points expressed in ground")
        ids = {k: (force.findtext(f"{k}_identifier") or "").strip() for k in ("force", "point", "torque")}
        if not ids["force"] or not ids["point"]:
            raise InputError(where, f"ExternalForce {force.get('name')}: no force or point identifier")
        names = {"force": [ids["force"] + a for a in "xyz"], "point": [ids["point"] + a for a in "xyz"],
                 "torque": [ids["torque"] + a for a in "xyz"] if ids["torque"] else None}
        datafile = (root.findtext(".//datafile") or force.findtext("data_source_name") or "").strip()
        return names, (Path(path).parent / datafile) if datafile else None
    raise InputError(where, f"no ExternalForce is applied to {body}")


def file_trial(motion_file, grf_file, frames, filter_hz, speed=None, external_loads=None, time_range=None,
               c3d=None, leg="right"):
    """A cycle (or a window) from a user's OpenSim coordinates and GRF files.

    The right foot's GRF columns are those an OpenSim ExternalLoads XML (``external_loads``)
    applies to calcn_r; without one they are recognised by name (``ground_force_r_v*``,
    ``right_foot_force_v*``, ...). ``grf_file`` None takes the XML's data file. The trial runs
    between the first two right foot strikes (vertical GRF rising through 20 N) inside the
    motion's time span (none there, as for RRA kinematics: over that span, with a warning), or over
    ``time_range`` (t0, t1) [s] as given (any window, e.g. one stance; ``gait_phase`` is then the
    percent of the window). Coordinates are low-pass filtered (zero-lag Butterworth,
    ``filter_hz``; None: as recorded) and splined; GRF and CoP are linearly interpolated to the
    frames. A ``.c3d`` GRF file is read through :func:`hipsim.c3d.read_c3d_grf` with ``c3d`` =
    (right-foot plates, rotations); its force gets the coordinates' low-pass (``filter_hz``, the
    same filter for both) and counts only where the raw vertical force exceeds 20 N.

    ``leg="left"`` runs the left leg mirrored onto hipsim's right-leg model: the ``*_l``
    coordinates, the left foot's GRF (calcn_l in the XML, or ``*_l_``/``left_`` names), and the
    mirror image through the sagittal plane (pelvis list, rotation and z, the force's and CoP's z
    and the torque's x and y change sign), so that every result reads as for a right hip.
    """
    left = leg == "left"
    if external_loads is not None:
        names, datafile = external_loads_columns(external_loads, "calcn_l" if left else "calcn_r")
        if grf_file is None:
            if datafile is None or not datafile.is_file():
                raise InputError(str(external_loads), f"its data file {datafile} does not exist; set activity.grf_file")
            grf_file = datafile
    m_cols, m_data, in_deg = read_opensim_table(motion_file)
    source = {c: (c[:-2] + "_l" if left and c.endswith("_r") else c) for c in COORDINATE_COLUMNS}
    missing = [source[c] for c in REQUIRED_MOTION_COLUMNS if source[c] not in m_cols]
    if missing:
        raise InputError(motion_file, f"missing coordinate columns {missing}")
    if str(grf_file).lower().endswith(".c3d"):
        from .c3d import read_c3d_grf
        g_cols, g_data = read_c3d_grf(grf_file, *(c3d or ((), ())))
        external_loads = None
        on_plate = g_data[:, 2] > FOOT_STRIKE_THRESHOLD_N
        g_data[:, 1:4] = np.where(on_plate[:, None], _lowpass(g_data[:, 1:4], 1.0 / np.median(np.diff(g_data[:, 0])),
                                                              filter_hz), 0.0)
    else:
        g_cols, g_data, _ = read_opensim_table(grf_file)
    if external_loads is None:
        names = _foot_columns(g_cols, grf_file, leg)
    else:
        absent = [c for group in names.values() if group for c in group if c not in g_cols]
        if absent:
            raise InputError(str(external_loads), f"names columns {absent} that {Path(grf_file).name} lacks")
    # rows written twice at (nearly) one time, as OpenSim's RRA does at a file's end, would make
    # the spline's derivatives explode: keep the last of each
    keep = np.append(np.diff(m_data[:, 0]) > 1e-9, True)
    m_data = m_data[keep]
    t_m = m_data[:, 0]
    q = np.zeros((len(t_m), len(COORDINATE_COLUMNS)))
    for j, name in enumerate(COORDINATE_COLUMNS):
        if source[name] in m_cols:
            v = m_data[:, m_cols.index(source[name])]
            if name in ROTATIONAL and in_deg is not False:  # OpenSim's default is degrees
                v = np.deg2rad(v)
            q[:, j] = -v if left and name in MIRRORED_COORDINATES else v
    fs = 1.0 / np.median(np.diff(t_m))
    q = _lowpass(q, fs, filter_hz)
    spline = CubicSpline(t_m, q, axis=0)

    t_g = g_data[:, 0]
    col = {c: i for i, c in enumerate(g_cols)}
    force = g_data[:, [col[c] for c in names["force"]]]
    point = g_data[:, [col[c] for c in names["point"]]]
    torque = g_data[:, [col[c] for c in names["torque"]]] if names["torque"] else np.zeros_like(force)
    if left:                     # the mirror image through the sagittal (x-y) plane
        force, point, torque = force * (1, 1, -1), point * (1, 1, -1), torque * (-1, -1, 1)
    if time_range is None:
        loaded = force[:, 1] > FOOT_STRIKE_THRESHOLD_N
        strikes = t_g[1:][loaded[1:] & ~loaded[:-1]]
        if len(strikes) < 2:
            raise InputError(grf_file, "no complete right gait cycle (two right foot strikes with vertical "
                                       f"force rising through {FOOT_STRIKE_THRESHOLD_N:g} N); "
                                       "set activity.time_range for a window")
        # strikes the motion covers with 2 ms to spare (the spline needs the cycle's ends inside)
        inside = strikes[(strikes - 2e-3 >= t_m[0]) & (strikes + 2e-3 <= t_m[-1])]
        window = len(inside) < 2
        if not window:
            t0, t1 = inside[0], inside[1]
        else:
            # e.g. RRA kinematics, which cover less than a stride: run them over their own span
            t0, t1 = max(t_m[0], t_g[0]), min(t_m[-1], t_g[-1])
            warnings.warn(InputWarning(
                f"{Path(motion_file).name}: no complete right gait cycle inside its {t_m[0]:.3f}-{t_m[-1]:.3f} s; "
                f"ran {t0:.3f}-{t1:.3f} s (gait_phase is % of that window; activity.time_range picks another)"),
                stacklevel=3)
        where = motion_file
    else:
        t0, t1 = (float(t) for t in time_range)
        where, window = "activity.time_range", True
        if t_g[0] > t0 or t_g[-1] < t1:
            raise InputError(where, f"{t0:g}-{t1:g} s is outside {Path(grf_file).name} "
                                    f"({t_g[0]:.3f}-{t_g[-1]:.3f} s)")
    if t0 < t_m[0] - 1e-9 or t1 > t_m[-1] + 1e-9:      # only a window can reach outside the motion
        raise InputError(where, f"{Path(motion_file).name} covers {t_m[0]:.3f}-{t_m[-1]:.3f} s but the "
                                f"trial spans {t0:.3f}-{t1:.3f} s")
    t = np.linspace(t0, t1, frames)
    grf = np.column_stack([np.interp(t, t_g, force[:, a]) for a in range(3)])
    cop = np.column_stack([np.interp(t, t_g, point[:, a]) for a in range(3)])   # as OpenSim applies it
    free = np.column_stack([np.interp(t, t_g, torque[:, a]) for a in range(3)])
    ix = COORDINATE_COLUMNS.index("pelvis_tx")
    measured_speed = float((spline(t1)[ix] - spline(t0)[ix]) / (t1 - t0))

    def coordinates(tt, nu=0, _spline=spline, _t0=t0):
        return np.array(_spline(np.asarray(tt, float) + _t0, nu))

    return Trial(time=t - t0, gait_phase=np.linspace(0, 100, frames), coordinates=coordinates,
                 coordinate_names=COORDINATE_COLUMNS, grf=grf, cop=cop, cop_frame="ground",
                 free_moment=free, speed=abs(measured_speed) if speed is None else speed,
                 source=f"{motion_file} + {grf_file}" + (f" [{t0:g}, {t1:g}] s" if window else "")
                 + (" (left leg, mirrored onto the right)" if left else ""))
