#!/usr/bin/env python
"""Build hipsim's built-in gait library, ``hipsim/data/gait/*.csv``.

Dev-time tool: it reads the shared reference data (``../shared/reference`` next to the work
tree; users do not have it) and needs the ``opensim`` Python package for forward kinematics
of the foot.  The output is deterministic.  Usage::

    .venv/bin/python tools/build_gait_library.py [--reference DIR] [--out DIR]

Each CSV holds one right gait cycle, 101 points from right foot strike (0 %) to the next
right foot strike (100 %), in OpenSim gait2392 coordinates (ground: x forward, y up,
z right; angles in degrees), the ground reaction force (GRF) of the ground on the right foot
in body weights (BW = mass * 9.81 N) and its centre of pressure (CoP).  Sources, licences,
every processing step and every modelling assumption are in ``hipsim/data/gait/SOURCES.md``.
"""
from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.interpolate import CubicSpline
from scipy.optimize import minimize_scalar
from scipy.signal import butter, filtfilt

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DEFAULT_REFERENCE = REPO.parent / "shared" / "reference"
DEFAULT_OUT = REPO / "hipsim" / "data" / "gait"
GAIT2392 = REPO / "hipsim" / "data" / "models" / "gait2392_thelen2003muscle.osim"

G = 9.81  # m/s^2; 1 BW = mass * G
N_POINTS = 101
PHASE = np.linspace(0.0, 100.0, N_POINTS)  # % of the gait cycle
CONTACT_THRESHOLD_N = 20.0  # vertical GRF threshold of foot contact

PELVIS_ANGLES = ("pelvis_tilt", "pelvis_list", "pelvis_rotation")
PELVIS_TRANSLATIONS = ("pelvis_tx", "pelvis_ty", "pelvis_tz")
LEG_ANGLES = ("hip_flexion_r", "hip_adduction_r", "hip_rotation_r", "knee_angle_r",
              "ankle_angle_r", "subtalar_angle_r", "mtp_angle_r")
COORDINATES = PELVIS_ANGLES + PELVIS_TRANSLATIONS + LEG_ANGLES
GRF = ("grf_x", "grf_y", "grf_z")
COP = ("cop_x", "cop_y", "cop_z")
COLUMNS = ("gait_phase",) + COORDINATES + GRF + COP + ("free_moment_y",)
#: Quantities made exactly periodic (value at 100 % = value at 0 %) by a linear ramp.
PERIODIC_COORDINATES = PELVIS_ANGLES + ("pelvis_ty", "pelvis_tz") + LEG_ANGLES
FORMATS = {"gait_phase": "{:.0f}", "free_moment_y": "{:.7f}",
           **{c: "{:.6f}" for c in PELVIS_ANGLES + LEG_ANGLES}}  # others: "{:.7f}"

# gait2392 subject01 treadmill walking (opensim-models Tutorials/Estimating_Joint_Reaction_Loads).
WALK_KINEMATICS = Path("opensim/gait2392_walk_SO_JR/subject01_walk1_Kinematics.sto")
WALK_GRF = Path("opensim/gait2392_walk_SO_JR/subject01_walk1_grf.mot")
WALK_MODEL = Path("opensim/gait2392_walk_SO_JR/subject01_simbody_adjusted_StaticOp.osim")
WALK_MASS_KG = 72.6  # reference README
WALK_COORDINATE_CUTOFF_HZ = 6.0  # periodic zero-lag low-pass of the walking coordinates
WALK_GRF_CHECK_HZ = 20.0  # GRF content above this frequency is measured before deciding to filter

# Fukuchi et al. (2017) runner RBDS001: 101-point mean curves per speed.
FUKUCHI_CURVES = Path("running/fukuchi2017_RBDS001_processed.txt")
FUKUCHI_INFO = Path("running/fukuchi2017_RBDSinfo.txt")
FUKUCHI_SPEEDS = {"25": 2.5, "35": 3.5, "45": 4.5}  # column suffix -> treadmill speed [m/s]
FUKUCHI_LEFT_STRIKE_PCT = 50  # left foot strike in the right cycle (symmetric gait assumed)
#: gait2392 coordinate -> (Fukuchi right-side Cardan angle column stem, sign).
FUKUCHI_ANGLES = {
    "hip_flexion_r": ("RhipAngZ", 1.0),
    "hip_adduction_r": ("RhipAngX", 1.0),
    "hip_rotation_r": ("RhipAngY", 1.0),
    "knee_angle_r": ("RkneeAngZ", -1.0),
    "ankle_angle_r": ("RankleAngZ", 1.0),
    "subtalar_angle_r": ("RankleAngX", 1.0),
}

# Dorn et al. (2012) runner JA1 (OpenSim IK, 250 Hz).
DORN_JOG = Path("running/dorn2012_jog_3.5ms_ik.mot")
#: Frontal- and transverse-plane angles of the Fukuchi running curves and the borrowed pelvis
#: angles, low-passed at a walking-type cut-off: their stride-to-stride harmonics above it are
#: soft-tissue artefact that inverse dynamics turns into swing-phase moments of ~2 N m/kg.
OUT_OF_PLANE = ("hip_adduction_r", "hip_rotation_r", "subtalar_angle_r", "pelvis_list", "pelvis_rotation")
OUT_OF_PLANE_CUTOFF_HZ = 6.0
#: Out-of-plane leg angles the running trials take from the Dorn jog (see build_running).
JOG_OUT_OF_PLANE = ("hip_adduction_r", "hip_rotation_r", "subtalar_angle_r")
DORN_SPRINT = Path("running/dorn2012_sprint_9ms_ik.mot")
#: the same trial's force plates (not in the shared reference: copies, with their origin, in tools/data)
DORN_SPRINT_C3D = REPO / "tools" / "data" / "dorn2012" / "JA1Gait35.c3d"
#: which plates each foot lands on, and the turns that made the laboratory OpenSim's y-up ground
#: for the markers (both as the upstream conversion, convertData.py, did)
DORN_RIGHT_PLATES, DORN_LEFT_PLATES = (2, 7), (4, 8)
DORN_LAB_ROTATIONS = (("z", -90.0), ("x", -90.0))
DORN_MASS_KG = 75.9  # inferred from the upstream scaled model, see SOURCES.md
DORN_STRIKE_SEARCH_S = 0.02  # foot strikes are searched within this time of each trial end
SPIKE_ROBUST_Z = 15.0  # single-frame IK outlier threshold (robust z-score of the second difference)
DORN_CUTOFF_HZ = 12.0  # kinematics low-pass cut-off (the upstream inverse-dynamics setting)
STRIDE_MATCH_ANGLES = ("hip_flexion_r", "hip_adduction_r", "hip_rotation_r", "knee_angle_r",
                       "ankle_angle_r")
TOE_OFF_RISE_M = 0.010  # toe-off: lowest sole point 10 mm above its stance minimum
#: Points on the sole of the gait2392 calcn_r body [m] (heel, under the mtp joint, toe tip).
SOLE_POINTS = {"heel": (0.0, -0.010, 0.0), "forefoot": (0.1788, -0.012, 0.0), "toe_tip": (0.24, -0.012, 0.0)}

# Forefoot-strike CoP model, calcn_r frame, relative to the mtp_r joint centre [m].
SOLE_BELOW_MTP_M = 0.028  # bone sole under the metatarsal heads (8 mm) + 20 mm soft tissue/shoe
COP_STRIKE_OFFSET = np.array([-0.010, 0.0, 0.020])  # under the lateral metatarsal heads
COP_TOE_OFF_OFFSET = np.array([0.055, 0.0, -0.025])  # under the hallux

# Hamner et al. (2010) subject02, treadmill running (opensim-models Pipelines/Hamner).
HAMNER_DIR = Path("opensim/hamner2010_running")
HAMNER_IK = HAMNER_DIR / "subject02_running_ik.mot"      # OpenSim IK, 60 Hz, 0-9.97 s
HAMNER_GRF = HAMNER_DIR / "subject02_running_grf.mot"    # 60 Hz; feet named by the ExternalLoads XML
HAMNER_LOADS = HAMNER_DIR / "External_Loads.xml"
HAMNER_MODEL = HAMNER_DIR / "subject02_RRA_Adjusted.osim"
#: zero-lag low-pass applied alike to the coordinates and the GRF (same filter for both, so the
#: segment accelerations and the GRF carry the same frequency content: Bisseling & Hof 2006,
#: Kristianslund et al. 2012); 12 Hz as the upstream inverse-dynamics setting of the Dorn trials
HAMNER_CUTOFF_HZ = 12.0
#: speeds the measured cycle is carried to with Fukuchi's speed effects (hamner_at_speed)
HAMNER_SPEEDS = (2.5, 3.5, 4.5)
#: low-pass of Fukuchi's angle curves whose speed differences carry Hamner's cycle (see fukuchi_cycles)
MORPH_CUTOFF_HZ = 6.0

LICENCE_OPENSIM = ("gait2392 model credits state CC BY 3.0; no licence file in opensim-models "
                   "(unverified, per the reference README)")
LICENCE_FUKUCHI = "CC BY (per the reference README)"
LICENCE_DORN = "not stated in the reference README; upstream repository licence not verified"
CITE_OPENSIM = ("Delp SL et al. (1990) IEEE Trans Biomed Eng 37:757-767 doi:10.1109/10.102791; "
                "Delp SL et al. (2007) IEEE Trans Biomed Eng 54:1940-1950 doi:10.1109/TBME.2007.901024")
CITE_FUKUCHI = ("Fukuchi RK, Fukuchi CA, Duarte M (2017) PeerJ 5:e3298 doi:10.7717/peerj.3298; "
                "data doi:10.6084/m9.figshare.4543435")
CITE_HAMNER = ("Hamner SR, Seth A, Delp SL (2010) J Biomech 43:2709-2716 doi:10.1016/j.jbiomech.2010.06.025")
CITE_DORN = "Dorn TW, Schache AG, Pandy MG (2012) J Exp Biol 215:1944-1956 doi:10.1242/jeb.064527"
UNITS = ("angles deg (gait2392 conventions); pelvis_t* and cop m; grf BW = mass * 9.81 N, "
         "ground on right foot, ground axes; free_moment_y N m/kg")


# ----------------------------------------------------------------------------- I/O
def read_opensim_table(path: Path) -> tuple[pd.DataFrame, bool | None]:
    """Read an OpenSim ``.sto``/``.mot`` file.

    Returns
    -------
    table : pandas.DataFrame
        The data columns (``time`` first).
    in_degrees : bool or None
        The header's ``inDegrees`` flag (None if absent).
    """
    lines = path.read_text().splitlines()
    end = next(i for i, line in enumerate(lines) if line.strip().lower() == "endheader")
    header = dict(line.strip().split("=", 1) for line in lines[:end] if "=" in line)
    degrees = header.get("inDegrees")
    table = pd.read_csv(path, sep=r"\s+", skiprows=end + 1)
    return table, None if degrees is None else degrees.strip().lower() == "yes"


def read_kinematics(path: Path) -> pd.DataFrame:
    """OpenSim coordinates with rotations in degrees (checked against the ``inDegrees`` header)."""
    table, degrees = read_opensim_table(path)
    if degrees is None:
        raise ValueError(f"{path}: the header does not state inDegrees")
    if not degrees:
        raise ValueError(f"{path}: rotations in radians; this builder expects degrees")
    return table


def _format(spec: str, value: float) -> str:
    """``spec.format(value)`` without the sign of a rounded negative zero."""
    text = spec.format(value)
    return text[1:] if text.startswith("-") and float(text) == 0.0 else text


def write_library_csv(path: Path, meta: dict[str, str], table: dict[str, np.ndarray]) -> None:
    """Write ``# key: value`` comment lines, the header row and the 101 data rows."""
    meta = {**meta, "built_by": "tools/build_gait_library.py"}
    lines = [f"# {key}: {value}" for key, value in meta.items()]
    lines.append(",".join(COLUMNS))
    for i in range(N_POINTS):
        lines.append(",".join(_format(FORMATS.get(c, "{:.7f}"), table[c][i]) for c in COLUMNS))
    path.write_text("\n".join(lines) + "\n")


# ----------------------------------------------------------------------------- signals
def crossings(t: np.ndarray, x: np.ndarray, level: float, rising: bool) -> np.ndarray:
    """Times at which ``x`` crosses ``level`` upwards (``rising``) or downwards [s], linearly interpolated."""
    above = x > level
    i = np.flatnonzero(above[1:] != above[:-1])
    i = i[above[i + 1] == rising]
    return t[i] + (level - x[i]) * (t[i + 1] - t[i]) / (x[i + 1] - x[i])


def end_ramp(y: np.ndarray) -> np.ndarray:
    """The linear ramp ``(y[-1] - y[0]) * s`` (s = 0..1) whose removal makes ``y`` periodic."""
    return (y[-1] - y[0]) * np.linspace(0.0, 1.0, len(y))


def make_periodic(table: dict[str, np.ndarray], names: tuple[str, ...]) -> dict[str, float]:
    """Subtract each column's end ramp in place; return the end mismatches ``y[100] - y[0]``."""
    mismatch = {}
    for name in names:
        mismatch[name] = float(table[name][-1] - table[name][0])
        table[name] = table[name] - end_ramp(table[name])
    return mismatch


def periodic_double_integral(acc: np.ndarray, period: float) -> np.ndarray:
    """Zero-mean periodic displacement whose second time derivative is ``acc``.

    Parameters
    ----------
    acc : ndarray, shape (101,)
        Acceleration on the cycle grid, last point = first point [m/s^2].
    period : float
        Cycle duration [s].

    Returns
    -------
    ndarray, shape (101,)
        Displacement [m]: Fourier coefficients ``X_k = -A_k / omega_k**2`` (k >= 1) and
        ``X_0 = 0``; the mean acceleration ``A_0`` (the residual when the mean force is not
        exactly body weight) is dropped so that the motion is periodic.
    """
    spectrum = np.fft.rfft(acc[:-1])
    omega = 2.0 * np.pi * np.arange(spectrum.size) / period
    spectrum[1:] /= -omega[1:] ** 2
    spectrum[0] = 0.0
    x = np.fft.irfft(spectrum, n=acc.size - 1)
    return np.append(x, x[0])


def high_frequency_rms(x: np.ndarray, fs: float, cutoff: float, mask: np.ndarray) -> float:
    """RMS over ``mask`` of the content of ``x`` above ``cutoff`` [Hz] (x minus a zero-lag low-pass)."""
    b, a = butter(2, cutoff / (0.5 * fs))
    return float(np.sqrt(np.mean((x - filtfilt(b, a, x))[mask] ** 2)))


# ----------------------------------------------------------------------------- model geometry
def _named_element(model_file: Path, tag: str, name: str) -> ET.Element:
    """The first ``<tag name="name">`` element of an OpenSim model file."""
    return next(e for e in ET.parse(model_file).iter(tag) if e.get("name") == name)


def mtp_joint_in_calcn(model_file: Path) -> np.ndarray:
    """Location of the mtp_r joint centre in the calcn_r frame [m], shape (3,)."""
    joint = _named_element(model_file, "CustomJoint", "mtp_r")
    frame = next(f for f in joint.iter("PhysicalOffsetFrame") if f.get("name") == "calcn_r_offset")
    return np.array(frame.findtext("translation").split(), dtype=float)


def forefoot_cop(stance_end_pct: float, mtp: np.ndarray) -> np.ndarray:
    """Forefoot-strike CoP path in the calcn_r frame over the gait cycle.

    ``P(s) = P_fs + (P_to - P_fs) (1 - cos(pi s)) / 2`` with ``s`` the fraction of stance,
    ``P_fs`` under the lateral metatarsal heads and ``P_to`` under the hallux, both on the
    shod sole ``SOLE_BELOW_MTP_M`` below the mtp joint centre.  In swing the CoP holds
    ``P_to``; at 100 % (next foot strike) it is ``P_fs`` again.

    Parameters
    ----------
    stance_end_pct : float
        Toe-off [% of the cycle].
    mtp : ndarray, shape (3,)
        mtp_r joint centre in calcn_r [m].

    Returns
    -------
    ndarray, shape (101, 3)
        CoP in calcn_r [m].
    """
    sole = np.array([0.0, -SOLE_BELOW_MTP_M, 0.0])
    start, end = mtp + COP_STRIKE_OFFSET + sole, mtp + COP_TOE_OFF_OFFSET + sole
    s = np.clip(PHASE / stance_end_pct, 0.0, 1.0)
    s[-1] = 0.0
    return start + np.outer(0.5 * (1.0 - np.cos(np.pi * s)), end - start)


# ----------------------------------------------------------------------------- forward kinematics
class ForwardKinematics:
    """OpenSim forward kinematics of body-fixed points (needs the ``opensim`` package).

    Parameters
    ----------
    model_file : Path
        OpenSim model; its default pose is the standing pose.
    """

    def __init__(self, model_file: Path):
        import opensim as osim

        osim.Logger.setLevelString("error")
        self._osim = osim
        self.model = osim.Model(str(model_file))
        self.state = self.model.initSystem()

    def standing_position(self, body: str) -> np.ndarray:
        """Ground position of a body's origin in the default (standing) pose [m], shape (3,)."""
        r = self.model.getBodySet().get(body).getPositionInGround(self.model.initSystem())
        return np.array([r.get(0), r.get(1), r.get(2)])

    def points_in_ground(self, coords: pd.DataFrame, body: str, points: np.ndarray) -> np.ndarray:
        """Ground positions of points fixed in ``body`` over a motion.

        Parameters
        ----------
        coords : DataFrame, shape (n, ...)
            Coordinates by column name, rotations in degrees; columns the model lacks are
            ignored, model coordinates the table lacks keep their default values.
        body : str
            Body name.
        points : ndarray, shape (3,) or (n, 3)
            Point(s) in the body frame [m]: one fixed point, or one per frame.

        Returns
        -------
        ndarray, shape (n, 3)
            Positions in ground [m].
        """
        coordinate_set = self.model.getCoordinateSet()
        used = [coordinate_set.get(i) for i in range(coordinate_set.getSize())
                if coordinate_set.get(i).getName() in coords.columns]
        scale = [np.pi / 180.0 if c.getMotionType() == self._osim.Coordinate.Rotational else 1.0
                 for c in used]
        values = coords[[c.getName() for c in used]].to_numpy() * scale
        points = np.broadcast_to(points, (len(values), 3))
        frame = self.model.getBodySet().get(body)
        out = np.empty((len(values), 3))
        for i, row in enumerate(values):
            for coordinate, value in zip(used, row):
                coordinate.setValue(self.state, float(value), False)
            self.model.realizePosition(self.state)
            r = frame.findStationLocationInGround(self.state, self._osim.Vec3(*points[i]))
            out[i] = (r.get(0), r.get(1), r.get(2))
        return out


def fit_pelvis_to_ground(fk: ForwardKinematics, table: dict[str, np.ndarray],
                         fit_tilt: bool) -> tuple[float, float, np.ndarray]:
    """Pelvis tilt offset and height offset that put the calcn_r CoP on the ground in stance.

    Least squares on the ground height ``y`` of the CoP over the stance points (vertical GRF
    above 0.05 BW): for a tilt offset ``d_tilt`` the best height offset is ``-mean(y)``, so
    ``d_tilt`` minimises the variance of ``y`` (bounded scalar search, +-40 deg).

    Returns
    -------
    (tilt offset [deg] (0 if not ``fit_tilt``), height offset [m], CoP heights after the fit [m]).
    """
    stance = (table["grf_y"] > 0.05) & (PHASE < 100.0)
    coords = pd.DataFrame({name: table[name][stance] for name in COORDINATES})
    cop = np.column_stack([table[name][stance] for name in COP])

    def heights(d_tilt: float) -> np.ndarray:
        tilted = coords.assign(pelvis_tilt=coords.pelvis_tilt + d_tilt)
        return fk.points_in_ground(tilted, "calcn_r", cop)[:, 1]

    d_tilt = 0.0
    if fit_tilt:
        d_tilt = minimize_scalar(lambda d: np.var(heights(d)), bounds=(-40.0, 40.0), method="bounded",
                                 options={"xatol": 0.01}).x
    y = heights(d_tilt)
    return float(d_tilt), float(-np.mean(y)), y - np.mean(y)


# ----------------------------------------------------------------------------- walking
def treadmill_belt_speed(fk: ForwardKinematics, kin: pd.DataFrame, t_grf: np.ndarray, fy_bw: np.ndarray,
                         t_strike: float, t_off: float) -> tuple[float, float]:
    """Treadmill belt speed from the backward velocity of the loaded stance foot [m/s].

    The calcn_r origin (forward kinematics of the RRA coordinates on the subject's model)
    moves with the belt while the foot carries weight; its forward velocity is taken over the
    right-stance frames with vertical GRF above 0.5 BW.

    Returns
    -------
    (median, interquartile range) of the belt speed [m/s].
    """
    window = kin[(kin.time >= t_strike) & (kin.time <= t_off)].reset_index(drop=True)
    foot = fk.points_in_ground(window, "calcn_r", np.zeros(3))
    belt = -np.gradient(foot[:, 0], window.time.to_numpy())
    loaded = np.interp(window.time, t_grf, fy_bw) > 0.5
    q1, median, q3 = np.percentile(belt[loaded], [25, 50, 75])
    return float(median), float(q3 - q1)


def hold_when_unloaded(x: np.ndarray, loaded: np.ndarray) -> np.ndarray:
    """``x`` with each unloaded sample replaced by the last loaded one (``loaded[0]`` must be True)."""
    idx = np.where(loaded, np.arange(len(x)), 0)
    return x[np.maximum.accumulate(idx)]


def right_foot_events(t: np.ndarray, fy: np.ndarray, t_min: float, t_max: float) -> tuple[float, float, float]:
    """First right stride inside ``[t_min, t_max]``: (foot strike, next foot strike, toe-off) [s].

    Events are the crossings of the right vertical GRF through ``CONTACT_THRESHOLD_N``.
    """
    strikes = crossings(t, fy, CONTACT_THRESHOLD_N, rising=True)
    t0, t1 = strikes[(strikes >= t_min) & (strikes <= t_max)][:2]
    offs = crossings(t, fy, CONTACT_THRESHOLD_N, rising=False)
    return float(t0), float(t1), float(offs[(offs > t0) & (offs < t1)][0])


def walking_lab_table(kin: pd.DataFrame, grf: pd.DataFrame, t: np.ndarray) -> dict[str, np.ndarray]:
    """Coordinates, right-foot GRF [BW], CoP [m] and free moment [N m/kg] at times ``t``, lab frame.

    Linear interpolation; the CoP only from samples with the foot loaded (vertical GRF above
    the contact threshold), the GRF and free moment at 100 % set to their 0 % values.
    """
    t_g = grf.time.to_numpy()
    loaded = grf.right_foot_force_vy.to_numpy() > CONTACT_THRESHOLD_N
    table = {name: np.interp(t, kin.time, kin[name]) for name in COORDINATES}
    for axis, f_name, p_name in zip("xyz", GRF, COP):
        table[f_name] = np.interp(t, t_g, grf[f"right_foot_force_v{axis}"]) / (WALK_MASS_KG * G)
        table[p_name] = np.interp(t, t_g[loaded], grf[f"right_foot_force_p{axis}"].to_numpy()[loaded])
    table["free_moment_y"] = np.interp(t, t_g, grf.right_foot_torque_y) / WALK_MASS_KG
    for name in GRF + ("free_moment_y",):
        table[name][-1] = table[name][0]
    return table


def treadmill_to_overground(table: dict[str, np.ndarray], elapsed: np.ndarray, belt: float) -> dict[str, float]:
    """Express a treadmill cycle in an overground frame; make it periodic; return the end mismatches.

    ``x' = x + v_belt * elapsed`` for pelvis_tx and cop_x (a Galilean change of frame: the
    GRF is unchanged).  The frame origin is then moved so that pelvis_tx(0 %) = 0 and
    pelvis_tz has zero mean; the end ramp removed from pelvis_tz is removed from cop_z too, so
    the foot keeps its place relative to the pelvis.  Other periodic coordinates lose their
    end ramp (:func:`make_periodic`).  In swing the CoP holds its last loaded value.
    """
    for name in ("pelvis_tx", "cop_x"):
        table[name] = table[name] + belt * elapsed
    x0 = table["pelvis_tx"][0]
    z_ramp = end_ramp(table["pelvis_tz"])
    z_shift = z_ramp + np.mean(table["pelvis_tz"] - z_ramp)
    mismatch = {"pelvis_tz": float(table["pelvis_tz"][-1] - table["pelvis_tz"][0])}
    for name, shift in (("pelvis_tx", x0), ("cop_x", x0), ("pelvis_tz", z_shift), ("cop_z", z_shift)):
        table[name] = table[name] - shift
    mismatch |= make_periodic(table, tuple(c for c in PERIODIC_COORDINATES if c != "pelvis_tz"))
    on_ground = table["grf_y"] * WALK_MASS_KG * G >= CONTACT_THRESHOLD_N - 1e-6
    for name in COP:
        table[name] = hold_when_unloaded(table[name], on_ground)
    return mismatch


def cop_in_body(model_file: Path, table: dict[str, np.ndarray], body: str) -> np.ndarray:
    """The ground-frame CoP of ``table`` expressed in ``body``'s frame of the model, (101, 3) [m].

    Uses hipsim's own forward kinematics of the model the trial was recorded with.
    """
    from hipsim.gait import TRANSLATIONAL
    from hipsim.kinematics import forward_kinematics
    from hipsim.model import load_model

    model = load_model(model_file)
    q = np.column_stack([table[n] if n in TRANSLATIONAL else np.deg2rad(table[n])
                         for n in model.coordinate_names])
    rot, origin = forward_kinematics(model, q)
    b = model.body_names.index(body)
    cop = np.column_stack([table[n] for n in COP])
    return np.einsum("fji,fj->fi", rot[:, b], cop - origin[:, b])


def build_walking(ref: Path) -> tuple[dict, dict, dict]:
    """gait2392 subject01 treadmill walking: RRA kinematics and measured right-foot GRF.

    Returns (CSV metadata, 101-point table by column, report of derived quantities).
    """
    kin = read_kinematics(ref / WALK_KINEMATICS)
    grf, _ = read_opensim_table(ref / WALK_GRF)
    t_g, fy = grf.time.to_numpy(), grf.right_foot_force_vy.to_numpy()
    body_weight = WALK_MASS_KG * G
    t0, t1, t_off = right_foot_events(t_g, fy, kin.time.iloc[0], kin.time.iloc[-1])
    stride = t1 - t0
    belt, belt_iqr = treadmill_belt_speed(ForwardKinematics(ref / WALK_MODEL), kin, t_g, fy / body_weight, t0, t_off)

    t = t0 + PHASE / 100.0 * stride
    table = walking_lab_table(kin, grf, t)
    lab_speed = (table["pelvis_tx"][-1] - table["pelvis_tx"][0]) / stride
    mismatch = treadmill_to_overground(table, t - t0, belt)
    table["gait_phase"] = PHASE
    speed = (table["pelvis_tx"][-1] - table["pelvis_tx"][0]) / stride
    # OpenSim's inverse-dynamics cut-off; also blends the seam between 100 % and 0 %, whose
    # end-ramp correction leaves a kink that reads as a one-frame acceleration spike.
    smooth = periodic_lowpass(pd.DataFrame({"time": t, **{n: table[n] for n in COORDINATES}}),
                              COORDINATES, WALK_COORDINATE_CUTOFF_HZ)
    for name in COORDINATES:
        table[name] = smooth[name].to_numpy()
    loaded = table["grf_y"] * body_weight > CONTACT_THRESHOLD_N
    cop_local = cop_in_body(ref / WALK_MODEL, table, "calcn_r")
    for i, name in enumerate(COP):
        table[name] = hold_when_unloaded(cop_local[:, i], loaded)

    in_stride = (t_g >= t0) & (t_g <= t1)
    total_fy = (grf.right_foot_force_vy + grf.left_foot_force_vy).to_numpy()
    fs = 1.0 / np.median(np.diff(t_g))
    report = {
        "foot_strikes_s": (round(t0, 4), round(t1, 4)), "toe_off_s": round(t_off, 4),
        "stride_time_s": stride, "toe_off_pct": 100 * (t_off - t0) / stride,
        "belt_speed_m_s": belt, "belt_speed_iqr_m_s": belt_iqr, "lab_pelvis_speed_m_s": lab_speed,
        "mean_total_fy_bw": np.trapezoid(total_fy[in_stride], t_g[in_stride]) / stride / body_weight,
        "grf_sampling_hz": fs,
        "grf_rms_above_20hz_in_stance_n": {
            a: high_frequency_rms(grf[f"right_foot_force_v{a}"].to_numpy(), fs, WALK_GRF_CHECK_HZ,
                                  in_stride & (fy > CONTACT_THRESHOLD_N))
            for a in "xyz"},
        "end_mismatch": mismatch,
    }
    meta = {
        "activity": "walking",
        "speed_m_s": f"{speed:.4f}",
        "stride_time_s": f"{stride:.4f}",
        "subject_mass_kg": f"{WALK_MASS_KG}",
        "cop_frame": "calcn_r",
        "cop_transform": "measured CoP expressed in subject01's calcn_r frame (its scaled model), so it follows the foot of any subject",
        "source": "opensim-models gait2392 subject01_walk1: RRA kinematics + treadmill GRF",
        "origin": ("opensim-org/opensim-models@20a888b9 Tutorials/Estimating_Joint_Reaction_Loads: "
                   "subject01_walk1_Kinematics.sto; subject01_walk1_grf.mot (right_foot_* columns)"),
        "licence": LICENCE_OPENSIM,
        "cite": CITE_OPENSIM,
        "foot_strikes_s": f"{t0:.4f} {t1:.4f}",
        "gait_events": "right vertical GRF crossing 20 N",
        "toe_off_pct": f"{report['toe_off_pct']:.1f}",
        "contact_time_s": f"{t_off - t0:.4f}",
        "treadmill_belt_speed_m_s": f"{belt:.4f}",
        "treadmill": "belt speed x time added to pelvis_tx and cop_x (overground frame)",
        "units": UNITS,
        "processing": ("linear interpolation of the 1 kHz kinematics and 600 Hz GRF to 101 points; coordinates "
                       f"low-passed at {WALK_COORDINATE_CUTOFF_HZ:g} Hz (periodic, zero lag), GRF unfiltered; "
                       "treadmill to overground frame; periodic coordinates end-ramp corrected; see SOURCES.md"),
    }
    return meta, table, report


# ----------------------------------------------------------------------------- Fukuchi running
def fukuchi_subject(ref: Path) -> tuple[float, float]:
    """Body mass [kg] and height [m] of runner RBDS001 from the metadata file."""
    info = pd.read_csv(ref / FUKUCHI_INFO, sep="\t")
    row = info[info.FileName == "RBDS001processed.txt"].iloc[0]
    return float(row.Mass), float(row.Height) / 100.0


def fukuchi_stride_time(curves: pd.DataFrame, tag: str) -> tuple[float, list[float]]:
    """Stride time from joint power = joint moment x joint angular velocity [s].

    On the %-cycle grid, ``omega = (d theta / d p) * 100 / T``.  For each joint and side a least
    squares fit ``P = sum_a c_a M_a d theta_a / d p`` over the Cardan axes a = X, Y, Z gives the
    flexion-axis (Z) coefficient ``c_Z = +-100 / T`` (sign from the moment sign convention;
    X and Y absorb the small non-sagittal terms).

    Returns
    -------
    (median over hip, knee, ankle of both sides, the six estimates) [s].
    """
    estimates = []
    for side in "RL":
        for joint in ("hip", "knee", "ankle"):
            terms = []
            for axis in "XYZ":
                angle = np.deg2rad(curves[f"{side}{joint}Ang{axis}{tag}"].to_numpy()[:-1])
                rate = 0.5 * (np.roll(angle, -1) - np.roll(angle, 1))  # rad per % of cycle, periodic
                terms.append(curves[f"{side}{joint}Mom{axis}{tag}"].to_numpy()[:-1] * rate)
            power = curves[f"{side}{joint}Pow{tag}"].to_numpy()[:-1]
            coef = np.linalg.lstsq(np.column_stack(terms), power, rcond=None)[0]
            estimates.append(100.0 / abs(coef[2]))
    return float(np.median(estimates)), estimates


def fukuchi_grf(curves: pd.DataFrame, tag: str) -> tuple[np.ndarray, np.ndarray, float]:
    """Right-foot GRF and the left-foot GRF shifted into the right cycle, in BW and ground axes.

    The file gives N/kg (lab X forward, Y up, Z right) during stance only (NaN in swing);
    the left-foot Z is mirrored (medial is negative for both feet) and its curves run on the
    left gait cycle, so the left foot is un-mirrored and shifted by
    ``FUKUCHI_LEFT_STRIKE_PCT`` points.

    Returns
    -------
    right : ndarray, shape (101, 3) [BW]
    left : ndarray, shape (101, 3) [BW], in the right foot's cycle
    stance_end_pct : float
        First % point without right-foot force (toe-off).
    """
    def foot(side: str, ml_sign: float) -> np.ndarray:
        xyz = [curves[f"{side}grf{a}{tag}"].to_numpy() for a in "XYZ"]
        force = np.nan_to_num(np.column_stack([xyz[0], xyz[1], ml_sign * xyz[2]])) / G
        force[-1] = force[0]
        return force

    right = foot("R", 1.0)
    left = np.roll(foot("L", -1.0)[:-1], FUKUCHI_LEFT_STRIKE_PCT, axis=0)
    stance_end = float(np.flatnonzero(np.isnan(curves[f"RgrfY{tag}"].to_numpy()))[0])
    return right, np.vstack([left, left[:1]]), stance_end


def build_running(ref: Path, tag: str, pelvis_angles: dict[str, np.ndarray],
                  jog_out_of_plane: dict[str, np.ndarray], mtp: np.ndarray,
                  fk: ForwardKinematics) -> tuple[dict, dict, dict]:
    """Fukuchi RBDS001 running at one speed: measured angles and GRF, modelled pelvis and CoP.

    Pelvis angles come from the Dorn jog (``pelvis_angles``, 101 points), and so do the hip
    adduction, hip rotation and subtalar angles (``jog_out_of_plane``): the frontal-plane
    placement of the foot under the pelvis must come from one subject (Fukuchi's hip adduction
    is relative to a pelvis whose obliquity was not published; combined with the Dorn pelvis it
    put the stance foot 4-8 cm lateral to the hip). Pelvis translations
    are the centre-of-mass motion from the total (right + left) GRF; the CoP follows
    :func:`forefoot_cop`.  A constant pelvis tilt offset and the mean pelvis height are then
    fitted so that the CoP lies on the ground during stance (:func:`fit_pelvis_to_ground`).
    """
    curves = pd.read_csv(ref / FUKUCHI_CURVES, sep="\t")
    mass, stature = fukuchi_subject(ref)
    speed = FUKUCHI_SPEEDS[tag]
    stride, stride_estimates = fukuchi_stride_time(curves, tag)
    right, left, stance_end = fukuchi_grf(curves, tag)
    total = right + left
    com = np.column_stack([periodic_double_integral((total[:, i] - (i == 1)) * G, stride) for i in range(3)])
    t = PHASE / 100.0 * stride

    table = dict(pelvis_angles)
    for name, (stem, sign) in FUKUCHI_ANGLES.items():
        table[name] = sign * curves[f"{stem}{tag}"].to_numpy()
    table.update(jog_out_of_plane)
    table["mtp_angle_r"] = np.zeros(N_POINTS)
    table["pelvis_tx"] = speed * t + com[:, 0]
    table["pelvis_ty"] = com[:, 1]
    table["pelvis_tz"] = com[:, 2]
    mismatch = make_periodic(table, PELVIS_ANGLES + LEG_ANGLES)
    smooth = periodic_lowpass(pd.DataFrame({"time": t, **{n: table[n] for n in OUT_OF_PLANE}}),
                              OUT_OF_PLANE, OUT_OF_PLANE_CUTOFF_HZ)
    for name in OUT_OF_PLANE:
        table[name] = smooth[name].to_numpy()
    cop = forefoot_cop(stance_end, mtp)
    for i, (f_name, p_name) in enumerate(zip(GRF, COP)):
        table[f_name], table[p_name] = right[:, i], cop[:, i]
    d_tilt, height, cop_heights = fit_pelvis_to_ground(fk, table, fit_tilt=True)
    table["pelvis_tilt"] = table["pelvis_tilt"] + d_tilt
    table["pelvis_ty"] = table["pelvis_ty"] + height
    table["free_moment_y"] = np.zeros(N_POINTS)
    table["gait_phase"] = PHASE

    report = {
        "stride_time_s": stride, "stride_time_estimates_s": stride_estimates,
        "contact_time_s": stance_end / 100.0 * stride, "stance_end_pct": stance_end,
        "mean_total_fy_bw": float(np.mean(total[:-1, 1])),
        "mean_total_fx_fz_bw": (float(np.mean(total[:-1, 0])), float(np.mean(total[:-1, 2]))),
        "com_range_m": np.ptp(com, axis=0), "pelvis_tilt_offset_deg": d_tilt, "mean_pelvis_height_m": height,
        "stance_cop_height_range_m": (float(cop_heights.min()), float(cop_heights.max())),
        "end_mismatch": mismatch, "mass_kg": mass, "height_m": stature,
    }
    meta = {
        "activity": "running",
        "speed_m_s": f"{speed}",
        "stride_time_s": f"{stride:.4f}",
        "subject_mass_kg": f"{mass:g}",
        "cop_frame": "calcn_r",
        "source": (f"Fukuchi et al. 2017 runner RBDS001 (forefoot striker, {stature:.2f} m), mean curves at "
                   f"{speed} m/s; pelvis angles from the Dorn et al. 2012 jog"),
        "origin": ("regifukuchi/BMC-RIC-running-biomechanics RBDS001processed.txt and RBDSinfo.txt; "
                   "aaronsfox/flash-running jog IK (pelvis angles)"),
        "licence": f"Fukuchi data {LICENCE_FUKUCHI}; Dorn data {LICENCE_DORN}",
        "cite": f"{CITE_FUKUCHI}; {CITE_DORN}",
        "contact_time_s": f"{report['contact_time_s']:.4f}",
        "toe_off_pct": f"{stance_end:.0f}",
        "stride_time_method": "joint power / (joint moment x angular velocity), median of 6 joints",
        "left_foot_strike_pct": f"{FUKUCHI_LEFT_STRIKE_PCT}",
        "left_foot": "GRF shifted by half a cycle (symmetry assumed); used only for the pelvis translations",
        "pelvis_translations": ("centre-of-mass motion from the total GRF integrated twice (Fourier, periodic) "
                                "+ speed x time in x + mean height fitted for foot-ground contact"),
        "pelvis_tilt_offset_deg": f"{d_tilt:.2f}",
        "out_of_plane_leg_angles": "hip_adduction_r, hip_rotation_r, subtalar_angle_r from the Dorn jog (one subject's frontal-plane foot placement)",
        "pelvis_angles": ("Dorn jog, symmetrised; tilt offset fitted so that the CoP lies on the ground "
                          "in stance (gait2392 forward kinematics)"),
        "out_of_plane_filter": (f"{', '.join(OUT_OF_PLANE)} low-passed at {OUT_OF_PLANE_CUTOFF_HZ:g} Hz "
                                "(periodic, zero lag): skin-marker soft-tissue artefact dominates these "
                                "angles (Leardini et al. 2005, doi:10.1016/j.gaitpost.2004.05.002)"),
        "cop_model": "forefoot strike, lateral metatarsal heads to hallux, see SOURCES.md",
        "units": UNITS,
    }
    return meta, table, report


# ----------------------------------------------------------------------------- Hamner running
def build_hamner(ref: Path) -> tuple[dict, dict, dict]:
    """Hamner 2010 subject02 treadmill running: the mean right stride of the whole trial.

    Kinematics (OpenSim IK on the subject's scaled model) and the right foot's GRF (columns
    named by the trial's ExternalLoads XML: the GRF file's own header does not say which foot)
    are both 60 Hz; both get the same zero-lag low-pass (``HAMNER_CUTOFF_HZ``). Every right
    stride (vertical GRF rising through ``CONTACT_THRESHOLD_N``) that the kinematics cover is
    resampled to 101 points and moved into a frame that travels with the belt, its origin under
    the pelvis at that stride's foot strike: pelvis_tx and the CoP's x gain belt speed x time
    (the stride's belt speed: the backward speed of the loaded foot, hipsim's forward kinematics
    of the subject's model ``HAMNER_MODEL``). The CoP stays in that ground frame: expressed in
    the foot of another model it would move with that model's foot frame (RajagopalLaiUhlrich2023's
    calcn_r is not subject02's). The strides are averaged point by point (the CoP over the
    strides loaded at that point; in swing it holds its last stance value).
    """
    from hipsim.gait import _lowpass as lowpass, external_loads_columns
    from hipsim.kinematics import forward_kinematics
    from hipsim.model import load_model, whole_body_mass

    kin = read_kinematics(ref / HAMNER_IK)
    grf, _ = read_opensim_table(ref / HAMNER_GRF)
    names, _ = external_loads_columns(ref / HAMNER_LOADS, "calcn_r")
    model = load_model(ref / HAMNER_MODEL)
    mass = float(whole_body_mass(ref / HAMNER_MODEL))
    t_k, t_g = kin.time.to_numpy(), grf.time.to_numpy()
    fs_k, fs_g = 1.0 / np.median(np.diff(t_k)), 1.0 / np.median(np.diff(t_g))
    q = lowpass(kin[list(COORDINATES)].to_numpy(), fs_k, HAMNER_CUTOFF_HZ)
    raw_fy = grf[names["force"][1]].to_numpy()
    force = lowpass(grf[names["force"]].to_numpy(), fs_g, HAMNER_CUTOFF_HZ)
    free = lowpass(grf[names["torque"][1]].to_numpy(), fs_g, HAMNER_CUTOFF_HZ)
    point = grf[names["point"]].to_numpy()
    loaded_g = raw_fy > CONTACT_THRESHOLD_N
    strikes = crossings(t_g, raw_fy, CONTACT_THRESHOLD_N, rising=True)
    strikes = strikes[(strikes >= t_k[0]) & (strikes <= t_k[-1])]
    spline = CubicSpline(t_k, q, axis=0)
    b = model.body_names.index("calcn_r")
    degrees = set(LEG_ANGLES + PELVIS_ANGLES)
    strides, durations, belts = [], [], []
    for t0, t1 in zip(strikes[:-1], strikes[1:]):
        t = t0 + PHASE / 100.0 * (t1 - t0)
        values = spline(t)
        stride = {name: values[:, i] for i, name in enumerate(COORDINATES)}
        loaded = np.interp(t, t_g, raw_fy) >= CONTACT_THRESHOLD_N - 1e-6
        loaded[0] = True                                    # the strike itself (the crossing)
        # the low-pass spreads the impact into the frames before contact, where the force would
        # act at no CoP: the filtered GRF counts only while the raw force says the foot is down
        for i, (f_name, p_name) in enumerate(zip(GRF, COP)):
            stride[f_name] = np.where(loaded, np.interp(t, t_g, force[:, i]) / (mass * G), 0.0)
            stride[p_name] = np.interp(t, t_g[loaded_g], point[loaded_g, i])
        stride["free_moment_y"] = np.where(loaded, np.interp(t, t_g, free) / mass, 0.0)
        # treadmill frame -> a frame moving with the belt, origin at the pelvis at foot strike;
        # the belt speed is the backward speed of the loaded foot (hipsim's forward kinematics
        # of the subject's model)
        qm = np.column_stack([stride[n] * (np.pi / 180.0 if n in degrees else 1.0)
                              if n in stride else np.zeros(N_POINTS) for n in model.coordinate_names])
        _, origin = forward_kinematics(model, qm)
        firm = stride["grf_y"] > 0.5
        belt_now = float(np.median(-np.gradient(origin[:, b, 0], t)[firm]))
        stride["cop_x"] = stride["cop_x"] - stride["pelvis_tx"][0] + belt_now * (t - t0)
        stride["pelvis_tx"] = stride["pelvis_tx"] - stride["pelvis_tx"][0] + belt_now * (t - t0)
        stride["cop_z"] = stride["cop_z"] - np.mean(stride["pelvis_tz"])
        stride["loaded"] = loaded
        belts.append(belt_now)
        strides.append(stride)
        durations.append(t1 - t0)
    n = len(strides)
    stride_time = float(np.mean(durations))
    table = {}
    for name in COORDINATES + GRF + ("free_moment_y",):
        table[name] = np.mean([s[name] for s in strides], axis=0)
    loaded = np.array([s["loaded"] for s in strides])
    for name in COP:
        stack = np.array([s[name] for s in strides])
        count = loaded.sum(axis=0)
        mean = np.where(count > 0, (stack * loaded).sum(axis=0) / np.maximum(count, 1), np.nan)
        table[name] = mean
    on = np.isfinite(table["cop_x"]) & (table["grf_y"] * mass * G >= CONTACT_THRESHOLD_N)
    for name in COP:
        table[name] = hold_when_unloaded(np.where(on, table[name], 0.0), on)
    for name in GRF + ("free_moment_y",):
        table[name][-1] = table[name][0]
    # the next foot strike is one stride further on
    table["cop_x"][-1] = table["cop_x"][0] + table["pelvis_tx"][-1]
    table["cop_y"][-1], table["cop_z"][-1] = table["cop_y"][0], table["cop_z"][0]
    speed = float(table["pelvis_tx"][-1] / stride_time)
    table["pelvis_tz"] = table["pelvis_tz"] - np.mean(table["pelvis_tz"])
    mismatch = make_periodic(table, PERIODIC_COORDINATES)
    table["gait_phase"] = PHASE
    stance_end = float(PHASE[1:][np.flatnonzero(table["grf_y"][1:] * mass * G < CONTACT_THRESHOLD_N)[0]])
    report = {"strides_averaged": n, "stride_time_s": stride_time, "stride_time_sd_s": float(np.std(durations)),
              "speed_m_s": speed, "belt_speed_range_m_s": (float(min(belts)), float(max(belts))),
              "mass_kg": mass, "stance_end_pct": stance_end, "end_mismatch": mismatch,
              "peak_grf_y_bw": float(table["grf_y"].max())}
    meta = {
        "activity": "running",
        "speed_m_s": f"{speed:.3f}",
        "stride_time_s": f"{stride_time:.4f}",
        "subject_mass_kg": f"{mass:.2f}",
        "cop_frame": "ground",
        "source": (f"Hamner et al. 2010 subject02, treadmill running: mean of {n} right strides "
                   "(OpenSim IK kinematics and measured GRF/CoP of the same runner)"),
        "origin": "opensim-org/opensim-models Pipelines/Hamner (subject02_running_ik.mot, subject02_running_grf.mot, External_Loads.xml, subject02_RRA_Adjusted.osim)",
        "licence": LICENCE_OPENSIM,
        "cite": CITE_HAMNER,
        "grf_columns": (f"right foot = {names['force'][0][:-1]}*, {names['point'][0][:-1]}*, "
                        f"{names['torque'][0][:-1]}* (External_Loads.xml applies them to calcn_r)"),
        "filter": f"coordinates and GRF alike: zero-lag 4th-order Butterworth at {HAMNER_CUTOFF_HZ:g} Hz (60 Hz data)",
        "strides_averaged": f"{n}",
        "treadmill": ("each stride's belt speed (backward speed of its loaded foot, "
                      f"{min(belts):.2f}-{max(belts):.2f} m/s) x time added to pelvis_tx and cop_x"),
        "cop_transform": "measured CoP in the belt frame, relative to the pelvis at each stride's foot strike",
        "toe_off_pct": f"{stance_end:.0f}",
        "units": UNITS,
    }
    return meta, table, report


# ----------------------------------------------------------------------------- Hamner at other speeds
#: the measured cycle's leg angles that Fukuchi's runner changes with speed (Hamner's subtalar
#: and mtp coordinates are locked at 0 in the subject's model, so they stay so)
MORPH_ANGLES = ("hip_flexion_r", "knee_angle_r", "ankle_angle_r")


def toe_off_warp(toe_off_from: float, toe_off_to: float) -> np.ndarray:
    """:func:`hipsim.gait.toe_off_warp` on the library's 101 points."""
    from hipsim.gait import toe_off_warp as warp
    return warp(toe_off_from, toe_off_to, PHASE)


def resample_cycle_at(y: np.ndarray, phase: np.ndarray, smooth: bool) -> np.ndarray:
    """:func:`hipsim.gait.resample_cycle` of a 101-point library curve."""
    from hipsim.gait import resample_cycle
    return resample_cycle(PHASE, y, phase, smooth)


def fukuchi_cycles(curves: pd.DataFrame) -> dict[float, dict]:
    """Fukuchi RBDS001 at each speed: stride time [s], toe-off [%], the leg angles
    (:data:`MORPH_ANGLES`, deg, gait2392 signs; low-passed, periodic) and right-foot GRF [BW]
    over the cycle."""
    out = {}
    for tag, speed in FUKUCHI_SPEEDS.items():
        right, _, stance_end = fukuchi_grf(curves, tag)
        stride = fukuchi_stride_time(curves, tag)[0]
        cycle = {"stride": stride, "toe_off": stance_end}
        angles = pd.DataFrame({"time": PHASE / 100.0 * stride})
        for name in MORPH_ANGLES:
            stem, sign = FUKUCHI_ANGLES[name]
            angles[name] = sign * curves[f"{stem}{tag}"].to_numpy()
        # only the speed effects are wanted from these curves: low-passed at the walking-type
        # cut-off (their 10-15 Hz content, ringing of the processed means, would reach the
        # swing-phase moments as 1-2 BW oscillations of the contact force)
        angles = periodic_lowpass(angles, MORPH_ANGLES, MORPH_CUTOFF_HZ)
        for name in MORPH_ANGLES:
            cycle[name] = angles[name].to_numpy()
        for i, name in enumerate(GRF):
            cycle[name] = right[:, i]
        out[speed] = cycle
    return out


def fukuchi_at(cycles: dict[float, dict], speed: float, toe_off_to: float) -> dict:
    """Fukuchi's cycle at ``speed`` (2.5-4.5 m/s), on the grid of a cycle whose toe-off is at
    ``toe_off_to``: each bracketing speed warped to it (:func:`toe_off_warp`), then blended
    linearly in speed; stride time and toe-off blended likewise."""
    speeds = sorted(cycles)
    i = int(np.clip(np.searchsorted(speeds, speed) - 1, 0, len(speeds) - 2))
    w = (speed - speeds[i]) / (speeds[i + 1] - speeds[i])
    out = {}
    for weight, cycle in ((1 - w, cycles[speeds[i]]), (w, cycles[speeds[i + 1]])):
        at = toe_off_warp(cycle["toe_off"], toe_off_to)
        for name in MORPH_ANGLES + GRF:
            out[name] = out.get(name, 0.0) + weight * resample_cycle_at(cycle[name], at, name in MORPH_ANGLES)
        for key in ("stride", "toe_off"):
            out[key] = out.get(key, 0.0) + weight * cycle[key]
    return out


def hamner_at_speed(ref: Path, measured: tuple[dict, dict, dict], speed: float) -> tuple[dict, dict, dict]:
    """Hamner's measured cycle carried to ``speed`` by how Fukuchi's runner changes from
    Hamner's speed to it.

    The stride time and the toe-off scale by Fukuchi's ratios between the two speeds; Hamner's
    cycle and Fukuchi's at both speeds are warped smoothly onto the new toe-off
    (:func:`toe_off_warp`) and Hamner's leg angles and GRF gain Fukuchi's differences between the
    two speeds (the runner's own angles and force; offsets between the two labs' conventions
    cancel in a difference). The pelvis keeps Hamner's angles and fore-aft sway
    (progression at the new speed); its vertical and lateral motion changes by the double
    integral of the change in the total GRF (the left foot half a cycle later, symmetric gait).
    The CoP moves with the foot: Hamner's CoP plus the displacement of the calcn_r origin
    (forward kinematics of Hamner's model) between the two cycles.
    """
    from hipsim.kinematics import forward_kinematics
    from hipsim.model import load_model

    meta_h, table_h, _ = measured
    cycles = fukuchi_cycles(pd.read_csv(ref / FUKUCHI_CURVES, sep="\t"))
    v_h, t_h = float(meta_h["speed_m_s"]), float(meta_h["stride_time_s"])
    c_h = float(meta_h["toe_off_pct"])
    timing_v, timing_h = fukuchi_at(cycles, speed, c_h), fukuchi_at(cycles, v_h, c_h)
    c_m = c_h * timing_v["toe_off"] / timing_h["toe_off"]
    t_m = t_h * timing_v["stride"] / timing_h["stride"]
    f_v, f_h = fukuchi_at(cycles, speed, c_m), fukuchi_at(cycles, v_h, c_m)
    # Hamner's cycle on the new cycle's grid (toe-off at c_m), then the changes
    at = toe_off_warp(c_h, c_m)
    smooth = set(COORDINATES)
    sway = table_h["pelvis_tx"] - v_h * PHASE / 100.0 * t_h
    warped = {n: resample_cycle_at(table_h[n], at, n in smooth) for n in COLUMNS if n not in ("gait_phase", "pelvis_tx")}
    warped["pelvis_tx"] = resample_cycle_at(sway, at, True) + v_h * at / 100.0 * t_h
    table = {n: v.copy() for n, v in warped.items()}
    for name in MORPH_ANGLES + GRF:
        table[name] = table[name] + (f_v[name] - f_h[name])
    stance = PHASE < c_m
    for name in GRF:
        table[name] = np.where(stance | (PHASE == 100.0), table[name], 0.0)
    table["grf_y"] = np.maximum(table["grf_y"], 0.0)
    # progression at the new speed over the new stride, plus Hamner's fore-aft sway about uniform speed
    table["pelvis_tx"] = resample_cycle_at(sway, at, True) + speed * PHASE / 100.0 * t_m

    def com(grf_right: np.ndarray, period: float) -> np.ndarray:
        half = (N_POINTS - 1) // 2
        left = np.roll(grf_right[:-1] * np.array([1.0, 1.0, -1.0]), half, axis=0)
        total = np.vstack([grf_right[:-1] + left, grf_right[:1] + left[:1]])
        return np.column_stack([periodic_double_integral((total[:, i] - (i == 1)) * G, period) for i in range(3)])
    grf_m = np.column_stack([table[n] for n in GRF])
    grf_w = np.column_stack([warped[n] for n in GRF])
    shift = com(grf_m, t_m) - com(grf_w, t_m)
    table["pelvis_ty"] = table["pelvis_ty"] + shift[:, 1]
    table["pelvis_tz"] = table["pelvis_tz"] + shift[:, 2]
    # the CoP moves with the foot
    model = load_model(ref / HAMNER_MODEL)
    degrees = set(LEG_ANGLES + PELVIS_ANGLES)

    def foot(tab: dict) -> np.ndarray:
        q = np.column_stack([tab[n] * (np.pi / 180.0 if n in degrees else 1.0) if n in tab else np.zeros(N_POINTS)
                             for n in model.coordinate_names])
        return forward_kinematics(model, q)[1][:, model.body_names.index("calcn_r")]
    moved = foot(table) - foot(warped)
    for i, name in enumerate(COP):
        table[name] = warped[name] + moved[:, i]
    on = table["grf_y"] > 0.0
    on[-1] = False
    for name in COP:
        table[name] = hold_when_unloaded(table[name], on)
    table["cop_x"][-1] = table["cop_x"][0] + table["pelvis_tx"][-1]
    table["cop_y"][-1], table["cop_z"][-1] = table["cop_y"][0], table["cop_z"][0]
    for name in GRF + ("free_moment_y",):
        table[name][-1] = table[name][0]
    mismatch = make_periodic(table, PERIODIC_COORDINATES)
    table["gait_phase"] = PHASE
    report = {"speed_m_s": speed, "stride_time_s": t_m, "toe_off_pct": c_m,
              "fukuchi_stride_ratio": f_v["stride"] / f_h["stride"], "fukuchi_toe_off_ratio": f_v["toe_off"] / f_h["toe_off"],
              "peak_grf_y_bw": float(table["grf_y"].max()), "end_mismatch": mismatch}
    meta = {**meta_h,
            "speed_m_s": f"{speed}",
            "stride_time_s": f"{t_m:.4f}",
            "source": (f"Hamner et al. 2010 subject02's measured cycle ({v_h:.3f} m/s) carried to {speed} m/s by "
                       "Fukuchi et al. 2017 runner RBDS001's changes between the two speeds"),
            "origin": meta_h["origin"] + "; regifukuchi/BMC-RIC-running-biomechanics RBDS001processed.txt",
            "licence": f"{meta_h['licence']}; Fukuchi data {LICENCE_FUKUCHI}",
            "cite": f"{CITE_HAMNER}; {CITE_FUKUCHI}",
            "toe_off_pct": f"{c_m:.1f}",
            "speed_morph": ("on a stance/swing grid (toe-off at 50 %): Hamner's leg angles and GRF + Fukuchi's "
                            f"(speed - {v_h:.3f} m/s) differences; stride time x {f_v['stride'] / f_h['stride']:.4f}, "
                            f"toe-off x {f_v['toe_off'] / f_h['toe_off']:.4f} (Fukuchi's ratios); pelvis height and "
                            "sway + double integral of the total-GRF change; CoP moved with the foot"),
            }
    return meta, table, report


# ----------------------------------------------------------------------------- Dorn trials
def stride_window(kin: pd.DataFrame) -> tuple[int, int, float]:
    """First and last frame of the right stride in a trial cut at right foot strikes.

    Both ends are searched within ``DORN_STRIKE_SEARCH_S`` of the trial ends for the pair of
    frames whose right-leg angles (``STRIDE_MATCH_ANGLES``) agree best (periodicity).

    Returns
    -------
    (start frame, end frame, RMS angle difference [deg]).
    """
    t = kin.time.to_numpy()
    angles = kin[list(STRIDE_MATCH_ANGLES)].to_numpy()
    starts = np.flatnonzero(t <= t[0] + DORN_STRIKE_SEARCH_S + 1e-9)
    ends = np.flatnonzero(t >= t[-1] - DORN_STRIKE_SEARCH_S - 1e-9)
    rms = np.array([[np.sqrt(np.mean((angles[i] - angles[j]) ** 2)) for j in ends] for i in starts])
    i, j = np.unravel_index(np.argmin(rms), rms.shape)
    return int(starts[i]), int(ends[j]), float(rms[i, j])


def remove_spikes(kin: pd.DataFrame, names: tuple[str, ...]) -> tuple[pd.DataFrame, list[float]]:
    """Replace single-frame IK outliers by cubic-spline interpolation from the other frames.

    A frame is an outlier when, for some coordinate, its deviation from the mean of its two
    neighbours exceeds ``SPIKE_ROBUST_Z`` robust standard deviations of that second
    difference (1.4826 x its median absolute deviation over the trial).  The worst frame is
    replaced and the test repeated until no frame exceeds the threshold.

    Returns
    -------
    (table with the outliers replaced, times of the replaced frames [s]).
    """
    t = kin.time.to_numpy()
    values = kin[list(names)].to_numpy()

    def second_difference(x: np.ndarray) -> np.ndarray:
        return x[1:-1] - 0.5 * (x[:-2] + x[2:])

    d2 = second_difference(values)
    scale = 1.4826 * np.median(np.abs(d2 - np.median(d2, axis=0)), axis=0)
    scale = np.where(scale > 0, scale, np.inf)
    replaced: list[float] = []
    while True:
        z = np.max(np.abs(second_difference(values)) / scale, axis=1)
        i = int(np.argmax(z)) + 1
        if z[i - 1] <= SPIKE_ROBUST_Z:
            break
        if t[i] in replaced:
            raise RuntimeError(f"outlier at {t[i]:.3f} s persists after interpolation")
        others = np.arange(len(t)) != i
        values[i] = CubicSpline(t[others], values[others], axis=0)(t[i])
        replaced.append(float(t[i]))
    cleaned = kin.copy()
    cleaned[list(names)] = values
    return cleaned, replaced


def periodic_lowpass(stride: pd.DataFrame, names: tuple[str, ...], cutoff: float) -> pd.DataFrame:
    """Zero-lag low-pass filter of one stride, treating it as one period of a periodic motion.

    Each column minus its end ramp (:func:`end_ramp`; for pelvis_tx this is the forward
    progression) is repeated three times, filtered forwards and backwards with a 2nd-order
    Butterworth (4th order, zero lag) and the middle period kept; the ramp is added back.
    """
    t = stride.time.to_numpy()
    fs = 1.0 / np.median(np.diff(t))
    b, a = butter(2, cutoff / (0.5 * fs))
    out = stride.copy()
    for name in names:
        y = stride[name].to_numpy()
        ramp = end_ramp(y)
        period = (y - ramp)[:-1]
        smooth = filtfilt(b, a, np.tile(period, 3))[period.size:2 * period.size]
        out[name] = np.append(smooth, smooth[0]) + ramp
    return out


def analyse_dorn(fk: ForwardKinematics, ref: Path, rel: Path) -> dict:
    """One right stride of a Dorn trial: cleaned kinematics, events, contact time and speed.

    Steps: single-frame outliers removed (:func:`remove_spikes`); stride from foot strike to
    foot strike (:func:`stride_window`); zero-lag low-pass at ``DORN_CUTOFF_HZ``
    (:func:`periodic_lowpass`); toe-off when the lowest of the ``SOLE_POINTS`` (forward
    kinematics on gait2392) rises ``TOE_OFF_RISE_M`` above its minimum in the first half of
    the stride.  Also reported: the forefoot's forward speed at both foot strikes as a
    fraction of the running speed (near zero when the foot lands).
    """
    names = tuple(c for c in COORDINATES if c != "mtp_angle_r")  # mtp is locked (0) upstream
    kin, spikes = remove_spikes(read_kinematics(ref / rel), names)
    i0, i1, rms = stride_window(kin)
    stride = periodic_lowpass(kin.iloc[i0:i1 + 1].reset_index(drop=True), names, DORN_CUTOFF_HZ)
    t = stride.time.to_numpy()
    t0, t1 = t[0], t[-1]
    speed = (stride.pelvis_tx.iloc[-1] - stride.pelvis_tx.iloc[0]) / (t1 - t0)
    feet = {name: fk.points_in_ground(stride, "calcn_r", np.array(p)) for name, p in SOLE_POINTS.items()}
    lowest = np.min([p[:, 1] for p in feet.values()], axis=0)
    first_half = t < t0 + 0.5 * (t1 - t0)
    i_min = int(np.argmin(np.where(first_half, lowest, np.inf)))
    t_off = crossings(t[i_min:], lowest[i_min:], lowest[i_min] + TOE_OFF_RISE_M, rising=True)[0]
    forefoot_vx = np.gradient(feet["forefoot"][:, 0], t)
    return {
        "stride_kinematics": stride, "spikes_replaced_s": spikes, "t0": t0, "t1": t1,
        "stride_time_s": t1 - t0, "angle_rms_deg": rms, "speed_m_s": speed, "toe_off_s": t_off,
        "contact_time_s": t_off - t0,
        "forefoot_speed_at_strikes": (forefoot_vx[0] / speed, forefoot_vx[-1] / speed),
    }


def resample_cycle(trial: dict, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Columns of an analysed Dorn stride at the 101 cycle points (cubic spline)."""
    stride = trial["stride_kinematics"]
    spline = CubicSpline(stride.time.to_numpy(), stride[list(names)].to_numpy(), axis=0)
    values = spline(trial["t0"] + PHASE / 100.0 * trial["stride_time_s"])
    return {name: values[:, i] for i, name in enumerate(names)}


def dorn_pelvis_angles(jog: dict) -> dict[str, np.ndarray]:
    """Pelvis angles of the Dorn jog stride at 101 points, periodic and left-right symmetric [deg].

    For a symmetric gait the right half-cycle mirrors the left: tilt(t + T/2) = tilt(t),
    list(t + T/2) = -list(t), rotation(t + T/2) = -rotation(t).  Tilt keeps its even
    half-cycle part ``(y(t) + y(t + T/2)) / 2``, list and rotation their odd part
    ``(y(t) - y(t + T/2)) / 2``; this also removes the trial's mean pelvis yaw and obliquity.
    """
    angles = resample_cycle(jog, PELVIS_ANGLES)
    make_periodic(angles, PELVIS_ANGLES)
    half = (N_POINTS - 1) // 2
    for name, parity in zip(PELVIS_ANGLES, (1.0, -1.0, -1.0)):
        y = angles[name][:-1]
        part = 0.5 * (y + parity * np.roll(y, half))
        angles[name] = np.append(part, part[0])
    return angles


def periodic_kinematics(trial: dict, names: tuple[str, ...], t: np.ndarray) -> dict[str, np.ndarray]:
    """Columns of an analysed Dorn stride at times ``t`` [s], which may start before the stride:
    there the stride is continued from its end, less its end-to-end change (the progression of
    pelvis_tx, the small mismatch of the angles), so the values run on smoothly."""
    stride = trial["stride_kinematics"]
    tk = stride.time.to_numpy()
    values = stride[list(names)].to_numpy()
    spline = CubicSpline(tk, values, axis=0)
    early = t < tk[0]
    out = spline(np.where(early, t + trial["stride_time_s"], t))
    out[early] -= values[-1] - values[0]
    return {name: out[:, i] for i, name in enumerate(names)}


def build_sprint(sprint: dict) -> tuple[dict, dict, dict]:
    """Dorn 9 m/s sprint: the runner's measured kinematics and measured GRF, one right stride.

    The force plates of the same trial (``DORN_SPRINT_C3D``, the C3D file the kinematics were
    made from, read by :func:`hipsim.c3d.read_c3d_grf`: plates ``DORN_RIGHT_PLATES``, the
    laboratory turned into OpenSim's axes by the markers' rotations ``DORN_LAB_ROTATIONS``) get the
    zero-lag low-pass of the kinematics (``DORN_CUTOFF_HZ``, the same filter for both, as for
    Hamner's trial); the filtered force counts only while the raw vertical force exceeds the
    contact threshold (the filter spreads the impact into the frames before contact, where there
    is no CoP). The cycle starts at the plates' foot strike, 7 ms before the kinematics' first
    frame: the kinematics are extended there from the end of their (periodic) stride.  The CoP stays in the laboratory's ground frame,
    moved like the pelvis (pelvis_tx from 0 at the stride's start, pelvis_tz about its mean), so
    the hip-to-CoP lever is the runner's on any model (expressed in the runner's foot and carried
    by a smaller model's foot it would lose ~1 N m/kg of the stance hip moments; see SOURCES.md);
    in swing it holds its last stance value.  GRF in BW of ``DORN_MASS_KG``.
    """
    from hipsim.c3d import read_c3d_grf
    from hipsim.gait import _lowpass as lowpass

    columns, grf = read_c3d_grf(DORN_SPRINT_C3D, DORN_RIGHT_PLATES, DORN_LAB_ROTATIONS)
    t_g = grf[:, 0]
    fs_g = 1.0 / np.median(np.diff(t_g))
    raw_fy = grf[:, 2]
    force = lowpass(grf[:, 1:4], fs_g, DORN_CUTOFF_HZ)
    free = lowpass(grf[:, 8], fs_g, DORN_CUTOFF_HZ)
    point = grf[:, 4:7]
    strikes = crossings(t_g, raw_fy, CONTACT_THRESHOLD_N, rising=True)
    strike = float(strikes[strikes <= sprint["t0"] + 1e-9][-1])   # the plates' strike starting the stride
    stride = sprint["stride_time_s"]
    t = strike + PHASE / 100.0 * stride
    table = periodic_kinematics(sprint, tuple(c for c in COORDINATES if c != "mtp_angle_r"), t)
    table["mtp_angle_r"] = np.zeros(N_POINTS)  # locked at 0 in the upstream IK
    tx0, tz_mean = table["pelvis_tx"][0], float(np.mean(table["pelvis_tz"]))
    table["pelvis_tx"] = table["pelvis_tx"] - tx0
    mismatch = make_periodic(table, PERIODIC_COORDINATES)
    table["pelvis_tz"] = table["pelvis_tz"] - tz_mean

    loaded = np.interp(t, t_g, raw_fy) >= CONTACT_THRESHOLD_N
    loaded_g = raw_fy > CONTACT_THRESHOLD_N
    for i, (f_name, p_name) in enumerate(zip(GRF, COP)):
        table[f_name] = np.where(loaded, np.interp(t, t_g, force[:, i]) / (DORN_MASS_KG * G), 0.0)
        table[p_name] = np.interp(t, t_g[loaded_g], point[loaded_g, i])
    table["free_moment_y"] = np.where(loaded, np.interp(t, t_g, free) / DORN_MASS_KG, 0.0)
    table["cop_x"] = table["cop_x"] - tx0
    table["cop_z"] = table["cop_z"] - tz_mean
    on = table["grf_y"] * DORN_MASS_KG * G >= CONTACT_THRESHOLD_N
    for name in COP:
        table[name] = hold_when_unloaded(np.where(on, table[name], 0.0), on)
    for name in GRF + ("free_moment_y",):
        table[name][-1] = table[name][0]
    table["cop_x"][-1] = table["cop_x"][0] + table["pelvis_tx"][-1]  # the next strike, a stride on
    table["cop_y"][-1], table["cop_z"][-1] = table["cop_y"][0], table["cop_z"][0]
    table["gait_phase"] = PHASE

    in_stride = (t_g >= strike) & (t_g < strike + stride)
    _, left = read_c3d_grf(DORN_SPRINT_C3D, DORN_LEFT_PLATES, DORN_LAB_ROTATIONS)
    both_feet_fy = raw_fy + left[:, 2]
    stance_end = float(PHASE[1:][np.flatnonzero(~on[1:])[0]])
    report = {**{k: v for k, v in sprint.items() if k != "stride_kinematics"},
              "grf_right_strikes_s": tuple(float(s) for s in strikes if sprint["t0"] - 0.01 <= s <= sprint["t1"] + 0.01),
              "cycle_start_s": strike,
              "mean_total_fy_over_stride_bw": float(np.mean(both_feet_fy[in_stride]) / (DORN_MASS_KG * G)),
              "stance_end_pct": stance_end, "peak_grf_y_bw": float(table["grf_y"].max()),
              "end_mismatch": mismatch}
    meta = {
        "activity": "sprinting",
        "speed_m_s": f"{sprint['speed_m_s']:.4f}",
        "nominal_speed_m_s": "9.0",
        "stride_time_s": f"{stride:.4f}",
        "subject_mass_kg": f"{DORN_MASS_KG}",
        "subject_mass_note": ("inferred from the upstream scaled model JA1_SCALED_Osim40.osim, see SOURCES.md; "
                              f"the stride's mean vertical GRF of both feet is "
                              f"{report['mean_total_fy_over_stride_bw']:.3f} BW of it"),
        "cop_frame": "ground",
        "source": "Dorn et al. 2012 runner JA1, 9 m/s sprint: OpenSim IK kinematics and measured GRF/CoP of the same trial",
        "origin": ("aaronsfox/flash-running Dorn2012Data/sprint_ik.mot (reference copy dorn2012_sprint_9ms_ik.mot) "
                   "and the trial's C3D JA1Gait35.c3d (copy in tools/data/dorn2012)"),
        "licence": f"Dorn data {LICENCE_DORN}",
        "cite": CITE_DORN,
        "foot_strikes_s": f"{strike:.4f} {strike + stride:.4f}",
        "gait_events": ("foot strike: the plates' raw vertical force rising through 20 N (7 ms before the "
                        "kinematics' stride, found by periodicity, see SOURCES.md); toe-off when it falls below 20 N"),
        "filter": (f"coordinates and GRF alike: zero-lag 4th-order Butterworth at {DORN_CUTOFF_HZ:g} Hz "
                   "(kinematics 250 Hz, periodic; plates 1.5 kHz, raw)"),
        "grf_columns": (f"right foot = plates {DORN_RIGHT_PLATES} summed (left {DORN_LEFT_PLATES}), ezc3d's "
                        f"force-platform extraction, laboratory turned by {DORN_LAB_ROTATIONS} as the markers were"),
        "cop_transform": "measured CoP in the laboratory frame, moved with the pelvis (pelvis_tx from 0, pelvis_tz about its mean)",
        "toe_off_pct": f"{stance_end:.0f}",
        "units": UNITS,
    }
    return meta, table, report


# ----------------------------------------------------------------------------- summary
def print_summary(name: str, table: dict[str, np.ndarray], meta: dict[str, str], report: dict) -> None:
    """Print the sanity checks of one library file."""
    print(f"\n== {name}")
    print(f"  stride {float(meta['stride_time_s']):.4f} s, speed {float(meta['speed_m_s']):.3f} m/s, "
          f"peak grf_y {table['grf_y'].max():.3f} BW at {PHASE[np.argmax(table['grf_y'])]:.0f} %, "
          f"grf_x {table['grf_x'].min():.3f}..{table['grf_x'].max():.3f} BW, "
          f"hip flexion at strike {table['hip_flexion_r'][0]:.1f} deg, "
          f"knee {table['knee_angle_r'].min():.1f}..{table['knee_angle_r'].max():.1f} deg, "
          f"pelvis_ty range {100 * np.ptp(table['pelvis_ty']):.1f} cm")
    for key, value in report.items():
        if key != "end_mismatch":
            print(f"  {key}: {value}")
    worst = max(report["end_mismatch"].items(), key=lambda kv: abs(kv[1]))
    print(f"  largest end mismatch removed: {worst[0]} {worst[1]:.4f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE, help="shared reference data folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    ref = args.reference
    args.out.mkdir(parents=True, exist_ok=True)

    mtp = mtp_joint_in_calcn(GAIT2392)
    fk = ForwardKinematics(GAIT2392)
    jog = analyse_dorn(fk, ref, DORN_JOG)
    sprint = analyse_dorn(fk, ref, DORN_SPRINT)
    pelvis_angles = dorn_pelvis_angles(jog)
    jog_out_of_plane = resample_cycle(jog, JOG_OUT_OF_PLANE)
    make_periodic(jog_out_of_plane, JOG_OUT_OF_PLANE)
    builds = {"walking.csv": build_walking(ref)}
    for tag, speed in FUKUCHI_SPEEDS.items():
        builds[f"running_{speed}.csv"] = build_running(ref, tag, pelvis_angles, jog_out_of_plane, mtp, fk)
    builds["sprinting_9.0.csv"] = build_sprint(sprint)
    builds["running_hamner2010.csv"] = hamner = build_hamner(ref)
    for speed in HAMNER_SPEEDS:
        builds[f"running_hamner2010_{speed}.csv"] = hamner_at_speed(ref, hamner, speed)

    for name, (meta, table, report) in builds.items():
        write_library_csv(args.out / name, meta, table)
        print_summary(name, table, meta, report)
    print("\n== Dorn 3.5 m/s jog (cross-check, pelvis angles source)")
    for key, value in jog.items():
        if key != "stride_kinematics":
            print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
