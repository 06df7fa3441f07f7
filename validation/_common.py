"""Shared helpers of the validation modules (not a validation module itself: no ``val_`` prefix).

The reference data are development data in ``../shared/reference`` next to the work tree
(override with the environment variable ``HIPSIM_REFERENCE``). Runs of the pipeline are cached
per process, so modules that need the same run share it.
"""
from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
G_OPENSIM = 9.81  # the OpenSim reference results use BW = mass * 9.81 N

# OrthoLoad extraction window (Bergmann et al. 2016 via RWTHmediTEC/HipJointForceModel):
# mean of the force components over +-2.5 % of the cycle around the first peak >= 75 % of max.
PEAK_WINDOW_PCT = 2.5


class ReferenceMissing(RuntimeError):
    """The development reference data are not available."""


def reference_dir():
    """The shared reference folder (``$HIPSIM_REFERENCE`` or ``<repo>/../shared/reference``)."""
    env = os.environ.get("HIPSIM_REFERENCE")
    return Path(env) if env else REPO.parent / "shared" / "reference"


def ref(*parts):
    """Path of a reference file; raises :class:`ReferenceMissing` if it does not exist."""
    path = reference_dir().joinpath(*parts)
    if not path.exists():
        raise ReferenceMissing(f"reference file not found: {path}")
    return path


# ----------------------------------------------------------------------------- numbers
def pearson(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    m = np.isfinite(a) & np.isfinite(b)
    return float(np.corrcoef(a[m], b[m])[0, 1])


def rms(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    m = np.isfinite(a) & np.isfinite(b)
    return float(np.sqrt(np.mean((a[m] - b[m]) ** 2)))


def on_grid(phase, values, grid=None):
    """Linear interpolation of a cycle curve onto ``grid`` (default 0-100 % in 1 % steps); NaN
    outside the curve's own phase range."""
    grid = np.linspace(0.0, 100.0, 101) if grid is None else grid
    return np.interp(grid, phase, values, left=np.nan, right=np.nan)


def peak_in(phase, values, lo, hi):
    """(value, phase) of the maximum of ``values`` with ``lo <= phase <= hi``."""
    phase, values = np.asarray(phase), np.asarray(values)
    m = (phase >= lo) & (phase <= hi) & np.isfinite(values)
    i = np.flatnonzero(m)[np.argmax(values[m])]
    return float(values[i]), float(phase[i])


def min_in(phase, values, lo, hi):
    phase, values = np.asarray(phase), np.asarray(values)
    m = (phase >= lo) & (phase <= hi) & np.isfinite(values)
    i = np.flatnonzero(m)[np.argmin(values[m])]
    return float(values[i]), float(phase[i])


def first_main_peak(values, fraction=0.75, prominence=0.1):
    """Index of the first local maximum that reaches ``fraction`` of the global maximum and
    stands ``prominence`` above its surroundings (the rule used to extract the OrthoLoad peak
    vectors: MATLAB findpeaks with MinPeakHeight 0.75 max, MinPeakProminence, NPeaks 1)."""
    from scipy.signal import find_peaks
    v = np.asarray(values, float)
    idx, _ = find_peaks(v, height=fraction * np.nanmax(v), prominence=prominence)
    return int(idx[0]) if len(idx) else int(np.nanargmax(v))


def inside(value, lo, hi):
    return bool(lo <= value <= hi)


def fmt(x, digits=2):
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def row(check, measured, target, source, passed):
    """One report row (``pass`` None = reported only)."""
    return {"check": check, "measured": measured, "target": target, "source": source,
            "pass": None if passed is None else bool(passed)}


# ----------------------------------------------------------------------------- runs
OPENSIM = ("opensim",)


def subject01_config(kinematics="rra", model="staticop", frames=101, filter_hz="default"):
    """Config dict of the OpenSim gait2392 subject01 walking trial (72.6 kg, 1.8 m).

    kinematics: 'rra' (``gait2392_walk_SO_JR/subject01_walk1_Kinematics.sto``, what OpenSim's
    static optimization used) or 'ik' (``gait2392_pipeline/subject01_walk1_ik.mot``).
    model: 'staticop' (``subject01_simbody_adjusted_StaticOp.osim``, the SO/JR model) or
    'pipeline' (``gait2392_pipeline/subject01_simbody_adjusted.osim``, the ID model). The GRF is
    always ``gait2392_walk_SO_JR/subject01_walk1_grf.mot``.
    filter_hz: 'default' keeps hipsim's default, None switches the low-pass off.
    """
    motion = {"rra": ref("opensim", "gait2392_walk_SO_JR", "subject01_walk1_Kinematics.sto"),
              "ik": ref("opensim", "gait2392_pipeline", "subject01_walk1_ik.mot")}[kinematics]
    osim = {"staticop": ref("opensim", "gait2392_walk_SO_JR", "subject01_simbody_adjusted_StaticOp.osim"),
            "pipeline": ref("opensim", "gait2392_pipeline", "subject01_simbody_adjusted.osim")}[model]
    # gait2392_pipeline/subject01_walk1_grf.mot holds the same numbers (0-2.5 s) under the column
    # names ground_force_v* / 1_ground_force_v*, which hipsim's GRF reader does not map to a
    # foot (the mapping is in the ExternalLoads XML); the SO_JR copy names them right_foot_*.
    grf = ref("opensim", "gait2392_walk_SO_JR", "subject01_walk1_grf.mot")
    activity = {"kind": "walking", "frames": frames, "motion_file": str(motion), "grf_file": str(grf)}
    if filter_hz != "default":
        activity["filter_hz"] = filter_hz
    return {"subject": {"mass_kg": 72.6, "height_m": 1.8}, "activity": activity,
            "model": {"osim_file": str(osim)}}


def library_config(kind, speed=None, frames=101):
    activity = {"kind": kind, "frames": frames}
    if speed is not None:
        activity["speed_m_s"] = speed
    return {"activity": activity}


def _freeze(obj):
    if isinstance(obj, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in obj.items()))
    return obj


def _thaw(obj):
    if isinstance(obj, tuple) and all(isinstance(x, tuple) and len(x) == 2 for x in obj):
        return {k: _thaw(v) for k, v in obj}
    return obj


@functools.lru_cache(maxsize=32)
def _cached(frozen):
    from hipsim import load_config
    from hipsim.pipeline import run_pipeline, to_dataset
    config = load_config(_thaw(frozen))
    run = run_pipeline(config)
    return config, run, to_dataset(config, run)


def pipeline(config_dict):
    """(Config, Pipeline, Dataset) of a config dict, cached per process."""
    return _cached(_freeze(config_dict))


def cycle_start_time(grf_file, threshold_n=20.0):
    """Time of the first right foot strike in an OpenSim GRF file (vertical force of
    ``ground_force_vy`` rising through ``threshold_n``), the same rule as hipsim's file trials."""
    from hipsim.gait import _right_foot_columns, read_opensim_table
    cols, data, _ = read_opensim_table(grf_file)
    fy = data[:, cols.index(_right_foot_columns(cols, str(grf_file))["force"][1])]
    loaded = fy > threshold_n
    strikes = data[1:, 0][loaded[1:] & ~loaded[:-1]]
    return float(strikes[0]), float(strikes[1])


def stance_mask(ds, threshold_n=20.0):
    """Frames with the right foot on the ground (vertical GRF above ``threshold_n``)."""
    mass = float(_config_mass(ds))
    return ds["grf"].sel(lab_axis="superior").values * mass * 9.80665 > threshold_n


def _config_mass(ds):
    import yaml
    return yaml.safe_load(ds.attrs["config"])["subject"]["mass_kg"]


# ----------------------------------------------------------------------------- femur frame
def _read_vtp_points(path):
    text = Path(path).read_text()
    block = re.search(r"<Points>.*?format=\"ascii\">(.*?)</DataArray>", text, re.S)
    return np.array(block.group(1).split(), float).reshape(-1, 3)


@functools.lru_cache(maxsize=1)
def straight_femur_axis(neck_shaft_angle_deg=127.0):
    """Bergmann et al. (2016)'s femoral z axis estimated in gait2392's right femur frame.

    Bergmann's +z runs from P2 (the curved femoral midline at the intercondylar notch) to P1
    (where the midline meets the neck axis): a straight anatomical axis, neither the proximal
    shaft axis nor the mechanical (hip centre - knee centre) axis. gait2392's femur y axis runs
    from the hip centre to the knee centre, i.e. the mechanical axis. Here: the shaft midline is
    a line fitted to mid-range points of the diaphysis of ``geometry_gait2392/femur_r.vtp``
    (y from -0.34 to -0.09 m); P2 is the knee joint centre of the generic model at zero knee
    angle; P1 is the point of the shaft line from which the hip centre lies at the neck-shaft
    angle (127 deg, Gilligan 2013 global mean; the coarse mesh does not resolve the neck).

    Returns
    -------
    axes : (3, 3) float, rows = Bergmann-like x (lateral), y (anterior), z (superior) in the
        gait2392 femur frame (x anterior, y superior, z lateral).
    info : dict with the frontal and sagittal angles between this axis and the femur y axis.
    """
    from hipsim.kinematics import forward_kinematics
    from hipsim.model import load_model
    points = _read_vtp_points(ref("opensim", "geometry_gait2392", "femur_r.vtp"))
    edges = np.linspace(-0.34, -0.09, 11)
    mids = []
    for a, b in zip(edges[:-1], edges[1:]):
        m = (points[:, 1] >= a) & (points[:, 1] < b)
        if m.sum() >= 2:
            p = points[m]
            mids.append([(p[:, 0].min() + p[:, 0].max()) / 2, (a + b) / 2, (p[:, 2].min() + p[:, 2].max()) / 2])
    mids = np.array(mids)
    kx = np.polyfit(mids[:, 1], mids[:, 0], 1)
    kz = np.polyfit(mids[:, 1], mids[:, 2], 1)
    direction = np.array([kx[0], 1.0, kz[0]])
    direction /= np.linalg.norm(direction)          # shaft midline, pointing proximally

    model = load_model()
    _, origin = forward_kinematics(model, np.zeros((1, model.n_coord)))
    femur, tibia = model.body_names.index("femur_r"), model.body_names.index("tibia_r")
    knee = origin[0, tibia] - origin[0, femur]       # femur frame = ground at q = 0
    half = np.deg2rad(180.0 - neck_shaft_angle_deg)

    def line(y):
        return np.array([np.polyval(kx, y), y, np.polyval(kz, y)])

    ys = np.linspace(-0.2, 0.0, 4001)
    angle = np.array([np.arccos(np.clip(np.dot(-line(y), direction) / np.linalg.norm(line(y)), -1, 1))
                      for y in ys])
    p1 = line(ys[np.argmin(np.abs(angle - half))])
    z_axis = (p1 - knee) / np.linalg.norm(p1 - knee)
    x_axis = np.array([0.0, 0.0, 1.0]) - z_axis[2] * z_axis
    x_axis /= np.linalg.norm(x_axis)
    y_axis = np.cross(z_axis, x_axis)
    info = {"frontal_deg": float(np.degrees(np.arctan2(z_axis[2], z_axis[1]))),
            "sagittal_deg": float(np.degrees(np.arctan2(z_axis[0], z_axis[1]))),
            "shaft_frontal_deg": float(np.degrees(np.arctan2(direction[2], direction[1]))),
            "shaft_sagittal_deg": float(np.degrees(np.arctan2(direction[0], direction[1]))),
            "p1": p1, "p2": knee}
    return np.vstack([x_axis, y_axis, z_axis]), info


MECHANICAL_AXES = np.array([[0.0, 0.0, 1.0],    # x lateral   = femur z
                            [1.0, 0.0, 0.0],    # y anterior  = femur x
                            [0.0, 1.0, 0.0]])   # z superior  = femur y (hip -> knee line)


def force_on_head_femur(run, axes):
    """Force of the acetabulum on the femoral head (= minus ``hip_contact_force``) in a femoral
    frame whose rows ``axes`` (lateral, anterior, superior) are given in the gait2392 femur
    frame. (n_frame, 3) [N]."""
    from hipsim.kinematics import forward_kinematics
    rot, _ = forward_kinematics(run.model, run.dynamics.q)
    pelvis, femur = run.model.body_names.index("pelvis"), run.model.body_names.index("femur_r")
    femur_in_pelvis = np.einsum("fji,fjk->fik", rot[:, pelvis], rot[:, femur])  # R_p^T R_f
    on_head_pelvis = -run.contact_force
    on_head_femur = np.einsum("fji,fj->fi", femur_in_pelvis, on_head_pelvis)    # R_fp^T v
    return on_head_femur @ np.asarray(axes).T


def direction_angles(force_lat_ant_sup):
    """(frontal, sagittal) angles [deg] of a force on the femoral head: frontal = inclination
    from the -z (femoral) axis toward lateral, sagittal = toward posterior (positive)."""
    f = np.atleast_2d(force_lat_ant_sup)
    frontal = np.degrees(np.arctan2(f[:, 0], -f[:, 2]))
    sagittal = np.degrees(np.arctan2(-f[:, 1], -f[:, 2]))
    return frontal, sagittal


# ----------------------------------------------------------------------------- misc
class quiet_stdout:
    """Silence writes to file descriptor 1 (OpenSim's C++ code prints model summaries there)."""

    def __enter__(self):
        import sys
        sys.stdout.flush()
        self._saved = os.dup(1)
        self._null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(self._null, 1)
        return self

    def __exit__(self, *exc):
        os.dup2(self._saved, 1)
        os.close(self._saved)
        os.close(self._null)
        return False


# ----------------------------------------------------------------------------- figures
def new_figure(*args, **kwargs):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt.subplots(*args, **kwargs)


def save(fig, outdir, name):
    import matplotlib.pyplot as plt
    path = Path(outdir) / name
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return name
