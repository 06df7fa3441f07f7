"""The musculoskeletal model: bodies, joints and right-leg muscles parsed from an OpenSim file.

The shipped model is OpenSim's gait2392 (Delp et al. 1990, IEEE TBME 37:757,
doi:10.1109/10.102791; Thelen 2003 muscles; CC BY 3.0, see ``hipsim/data/models/README.md``).
Only the pelvis and the right-leg chain (pelvis, femur_r, tibia_r, talus_r, calcn_r, toes_r)
are kept, plus a patella_r branch off the femur where the model has one (Rajagopal et al. 2016,
IEEE TBME 63:2068, doi:10.1109/TBME.2016.2586891, with the Lai et al. 2017 and Uhlrich et al.
2022 updates in RajagopalLaiUhlrich2023), with the muscles whose path lies entirely on those bodies.

Joints: CustomJoint and PinJoint (a rotation about the joint frames' Z axis, mapped onto the
CustomJoint representation). Coordinates driven by a CoordinateCouplerConstraint
(``knee_angle_r_beta`` of the patellofemoral joint) become *dependent coordinates*: appended after
the independent ones in an extended coordinate vector, their value the coupler function of the
independent coordinate; moment arms and generalized forces are folded back by the chain rule.
Path wrapping: WrapCylinder objects referenced by the muscles' PathWrapSets.

Everything is packed into flat numpy arrays so that the numba kernels in
``hipsim._kernels`` can evaluate kinematics and muscle paths without Python objects.
Frames follow OpenSim: x anterior, y superior, z to the right; lengths in metres.
"""
from __future__ import annotations

import functools
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .errors import InputError
from .millard import CURVE_PROPERTIES, MillardCurves, build_curve

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_MODEL = DATA_DIR / "models" / "gait2392_thelen2003muscle.osim"
#: Body names of the chain, root first; each body's parent is the one before it.
CHAIN_BODIES = ("pelvis", "femur_r", "tibia_r", "talus_r", "calcn_r", "toes_r")
#: Bodies kept as branches off the chain when the model has them, with their parent body.
BRANCH_BODIES = (("patella_r", "femur_r"),)

#: The coordinates static optimization balances (hip, knee, ankle).
ACTUATED_COORDINATES = ("hip_flexion_r", "hip_adduction_r", "hip_rotation_r",
                        "knee_angle_r", "ankle_angle_r")

#: Body height and mass the generic gait2392 model represents (OpenSim documentation,
#: "Gait 2392 and 2354 Models": about 1.8 m and 75.16 kg); the subject is scaled from these.
DEFAULT_MODEL_HEIGHT_M = 1.80
#: The shipped models (``model.name``): file, and the standing height [m] each generic model
#: represents, from which it is scaled to the subject. gait2392: DEFAULT_MODEL_HEIGHT_M.
#: RajagopalLaiUhlrich2023 (Rajagopal 2016 with Lai 2017's knee and Uhlrich 2022's hip abductors
#: and calibrated passive curves): its standing hip-to-ankle length (0.806 m) against gait2392's
#: (0.826 m at 1.80 m), 1.757 m, so that both models scaled to a subject have the same leg length
#: and the library trials fit either.
BUILTIN_MODELS = {
    "gait2392": (DEFAULT_MODEL, DEFAULT_MODEL_HEIGHT_M),
    "rajagopal2023": (DATA_DIR / "models" / "RajagopalLaiUhlrich2023.osim",
                      DEFAULT_MODEL_HEIGHT_M * 0.8061 / 0.8258),
}
#: The shipped model each activity runs on when ``model.name`` is null: running and sprinting on
#: RajagopalLaiUhlrich2023 (young adults' muscle volumes; gait2392's strengths, set for walking,
#: saturate the hip abductors in running stance), everything else on gait2392.
DEFAULT_MODEL_NAME = {"running": "rajagopal2023", "sprinting": "rajagopal2023"}

FUNC_CONSTANT, FUNC_LINEAR, FUNC_SPLINE, FUNC_POLY = 0, 1, 2, 3
POINT_FIXED, POINT_CONDITIONAL, POINT_MOVING = 0, 1, 2

# Trunk muscles that gait2392 names with an _r suffix but attaches to the torso.
_NOT_LEG = ("ercspn_r", "intobl_r", "extobl_r")


@dataclass(frozen=True)
class MuscleParameters:
    """Hill-type parameters of each muscle, shape (n_muscle,) each (Thelen 2003,
    J Biomech Eng 125:70, doi:10.1115/1.1531112).

    Millard2012EquilibriumMuscle muscles (Millard et al. 2013, J Biomech Eng 135:021005,
    doi:10.1115/1.4023390) share the five common parameters; their force-length,
    force-velocity, passive and tendon curves and tendon compliance flags are in ``millard``
    (columns ``millard.index``), and their Thelen shape entries hold the Thelen defaults, unused.
    """

    max_isometric_force: np.ndarray      # [N]
    optimal_fiber_length: np.ndarray     # [m]
    tendon_slack_length: np.ndarray      # [m]
    pennation_at_optimal: np.ndarray     # [rad]
    max_contraction_velocity: np.ndarray  # [optimal fibre lengths / s]
    fl_shape: np.ndarray                 # KshapeActive, Gaussian width of active force-length
    passive_shape: np.ndarray            # KshapePassive, exponential shape of passive force
    passive_strain_at_fmax: np.ndarray   # FmaxMuscleStrain
    fv_af: np.ndarray                    # Af, force-velocity shape
    fv_flen: np.ndarray                  # Flen, maximum lengthening force / Fmax
    millard: MillardCurves | None = None  # curves of the Millard muscles (None: there are none)


@dataclass(frozen=True)
class Model:
    """A packed right-leg model. Arrays are C-contiguous and read by the numba kernels.

    Attributes
    ----------
    body_names : tuple[str]
        ``CHAIN_BODIES`` (body ``b``'s parent is ``b - 1``, the pelvis's is ground), then any
        ``BRANCH_BODIES`` the model has (parent in ``body_parent``).
    coordinate_names : tuple[str]
        The independent coordinates of the kept joints, (n_coord,); coupled (dependent)
        coordinates are in ``dependent_names``.
    coordinate_range : (n_coord, 2) float
        Each coordinate's range in the model file [rad or m].
    joint_parent_offset : (n_body, 4, 4) float
        Pose of each joint's parent frame F in the parent body [m].
    joint_child_offset : (n_body, 4, 4) float
        Pose of each joint's child frame M in the child body [m].
    joint_axis : (n_body, 6, 3) float
        Three rotation axes then three translation axes of each CustomJoint (in F).
    joint_func : (n_body, 6) int
        Function index (into ``func_*``) of each transform axis.
    func_type, func_coord, func_param, func_spline : function table; ``func_coord`` is the
        coordinate index the function reads (-1 for a constant).
    spline_x, spline_coef, spline_n : SIMM (Forsythe-Malcolm-Moler) cubic splines; coefficients
        ``(y, b, c, d)`` per knot.
    body_mass : (n_body,) [kg]; body_com : (n_body, 3) [m]; body_inertia : (n_body, 3, 3)
        [kg m^2] about the centre of mass, in the body frame.
    point_* : path points of all muscles, concatenated; ``muscle_point_start`` (n_muscle + 1,)
        gives each muscle's slice.
    body_parent : (n_body,) int
        Parent body index of each body (-1 for the pelvis, whose parent is ground). The first
        ``len(CHAIN_BODIES)`` bodies form the chain (parent ``b - 1``); branch bodies follow.
    dependent_func : (n_dep,) int
        Function (reading an independent coordinate) giving each dependent coordinate; the
        dependent coordinate ``d`` has extended index ``n_coord + d`` in ``func_coord``.
    dependent_names : tuple[str], (n_dep,)
    wrap_body : (n_wrap,) int; wrap_rotation : (n_wrap, 3, 3); wrap_translation : (n_wrap, 3) [m]
        WrapCylinder frames in their bodies (cylinder axis = frame z, centred on the origin).
    wrap_radius, wrap_length : (n_wrap,) float [m]
    wrap_axis, wrap_sign : (n_wrap,) int, quadrant restriction (``'-x'`` -> axis 0, sign -1;
        sign 0 = ``'all'``).
    muscle_wrap_start : (n_muscle + 1,) int, each muscle's slice of ``pathwrap_*``
    pathwrap_object : (n_pathwrap,) int, wrap object of each PathWrap, in PathWrapSet order
    pathwrap_range : (n_pathwrap, 2) int, 1-based first/last path point (-1: path end)
    """

    source: str
    body_names: tuple
    coordinate_names: tuple
    coordinate_range: np.ndarray
    joint_parent_offset: np.ndarray
    joint_child_offset: np.ndarray
    joint_axis: np.ndarray
    joint_func: np.ndarray
    func_type: np.ndarray
    func_coord: np.ndarray
    func_param: np.ndarray
    func_spline: np.ndarray
    spline_x: np.ndarray
    spline_coef: np.ndarray
    spline_n: np.ndarray
    body_mass: np.ndarray
    body_com: np.ndarray
    body_inertia: np.ndarray
    muscle_names: tuple
    muscle_point_start: np.ndarray
    point_body: np.ndarray
    point_location: np.ndarray
    point_type: np.ndarray
    point_coord: np.ndarray
    point_range: np.ndarray
    point_func: np.ndarray
    muscles: MuscleParameters
    gravity: np.ndarray = field(default_factory=lambda: np.array([0.0, -9.80665, 0.0]))
    body_parent: np.ndarray = field(default_factory=lambda: np.arange(len(CHAIN_BODIES)) - 1)
    dependent_func: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    dependent_names: tuple = ()
    wrap_body: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    wrap_rotation: np.ndarray = field(default_factory=lambda: np.zeros((0, 3, 3)))
    wrap_translation: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    wrap_radius: np.ndarray = field(default_factory=lambda: np.zeros(0))
    wrap_length: np.ndarray = field(default_factory=lambda: np.zeros(0))
    wrap_axis: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    wrap_sign: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    muscle_wrap_start: np.ndarray = None
    pathwrap_object: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    pathwrap_range: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))

    def __post_init__(self):
        if self.muscle_wrap_start is None:
            object.__setattr__(self, "muscle_wrap_start",
                               np.zeros(len(self.muscle_names) + 1, dtype=np.int64))

    @property
    def n_coord(self):
        return len(self.coordinate_names)

    @property
    def n_dependent(self):
        return len(self.dependent_func)

    @property
    def n_ext(self):
        """Length of the extended coordinate vector (independent then dependent coordinates)."""
        return self.n_coord + len(self.dependent_func)

    @property
    def n_chain(self):
        """Number of chain bodies (the rest are branches; inverse dynamics treats them as massless)."""
        return len(CHAIN_BODIES)

    @property
    def n_muscle(self):
        return len(self.muscle_names)

    def coordinate_index(self, names):
        """Indices of coordinate ``names`` in ``coordinate_names``, (len(names),) int."""
        return np.array([self.coordinate_names.index(n) for n in names], dtype=np.int64)

    @functools.cached_property
    def body_coord_mask(self):
        """(n_body, n_ext) bool: True where the (extended) coordinate moves the body."""
        mask = np.zeros((len(self.body_names), self.n_ext), dtype=np.bool_)
        for b in range(len(self.body_names)):
            j = b
            while j >= 0:
                for f in self.joint_func[j]:
                    if self.func_coord[f] >= 0:
                        mask[b, self.func_coord[f]] = True
                j = int(self.body_parent[j])
        return mask

    @functools.cached_property
    def path_coordinates(self):
        """Indices of the leg coordinates (all but the pelvis joint's) in the extended coordinate
        vector, (n,) int."""
        pelvis = {int(self.func_coord[f]) for f in self.joint_func[0] if self.func_coord[f] >= 0}
        return np.array([k for k in range(self.n_ext) if k not in pelvis], dtype=np.int64)


def _text_floats(node, where):
    try:
        return np.array([float(v) for v in node.text.split()], dtype=float)
    except (AttributeError, ValueError):
        raise InputError(where, f"cannot read numbers in <{node.tag if node is not None else '?'}>")


def _child(node, tag, where):
    found = node.find(tag)
    if found is None:
        raise InputError(where, f"<{node.get('name', node.tag)}> has no <{tag}>")
    return found


def rotation_xyz(angles):
    """Body-fixed x-y-z rotation matrix (OpenSim's offset-frame ``orientation``), (3, 3)."""
    a, b, c = angles
    rx = np.array([[1, 0, 0], [0, math.cos(a), -math.sin(a)], [0, math.sin(a), math.cos(a)]])
    ry = np.array([[math.cos(b), 0, math.sin(b)], [0, 1, 0], [-math.sin(b), 0, math.cos(b)]])
    rz = np.array([[math.cos(c), -math.sin(c), 0], [math.sin(c), math.cos(c), 0], [0, 0, 1]])
    return rx @ ry @ rz


def simm_spline_coefficients(x, y):
    """Coefficients of OpenSim's SimmSpline, the Forsythe-Malcolm-Moler cubic spline.

    Forsythe, Malcolm & Moler (1977) Computer Methods for Mathematical Computations, routine
    SPLINE: the end conditions match the third derivative of the cubic through the first and
    last four knots (not a natural spline).

    Parameters
    ----------
    x, y : (n,) float
        Knots, ``x`` strictly increasing, n >= 2.

    Returns
    -------
    (n, 4) float
        ``(y, b, c, d)``: on ``[x[k], x[k+1]]`` the value is
        ``y[k] + dx * (b[k] + dx * (c[k] + dx * d[k]))``.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    n = len(x)
    b, c, d = np.zeros(n), np.zeros(n), np.zeros(n)
    if n < 3:
        b[:] = (y[-1] - y[0]) / (x[-1] - x[0])
        return np.column_stack([y, b, c, d])
    nm1 = n - 1
    d[0] = x[1] - x[0]
    c[1] = (y[1] - y[0]) / d[0]
    for i in range(1, nm1):
        d[i] = x[i + 1] - x[i]
        b[i] = 2.0 * (d[i - 1] + d[i])
        c[i + 1] = (y[i + 1] - y[i]) / d[i]
        c[i] = c[i + 1] - c[i]
    b[0] = -d[0]
    b[nm1] = -d[n - 2]
    c[0] = c[nm1] = 0.0
    if n > 3:
        c[0] = c[2] / (x[3] - x[1]) - c[1] / (x[2] - x[0])
        c[nm1] = c[n - 2] / (x[nm1] - x[n - 3]) - c[n - 3] / (x[n - 2] - x[n - 4])
        c[0] = c[0] * d[0] ** 2 / (x[3] - x[0])
        c[nm1] = -c[nm1] * d[n - 2] ** 2 / (x[nm1] - x[n - 4])
    for i in range(1, n):
        t = d[i - 1] / b[i - 1]
        b[i] -= t * d[i - 1]
        c[i] -= t * c[i - 1]
    c[nm1] /= b[nm1]
    for i in range(n - 2, -1, -1):
        c[i] = (c[i] - d[i] * c[i + 1]) / b[i]
    b[nm1] = (y[nm1] - y[n - 2]) / d[n - 2] + d[n - 2] * (c[n - 2] + 2.0 * c[nm1])
    for i in range(nm1):
        b[i] = (y[i + 1] - y[i]) / d[i] - d[i] * (c[i + 1] + 2.0 * c[i])
        d[i] = (c[i + 1] - c[i]) / d[i]
        c[i] = 3.0 * c[i]
    c[nm1] = 3.0 * c[nm1]
    d[nm1] = d[n - 2]
    return np.column_stack([y, b, c, d])


class _FunctionTable:
    """Collects OpenSim Functions (Constant, LinearFunction, SimmSpline, PolynomialFunction,
    MultiplierFunction) into flat arrays.

    A PolynomialFunction's coefficients (highest order first) are stored in the spline tables:
    ``spline_x[s, :n]`` holds them and ``spline_n[s]`` their number.
    """

    def __init__(self, where):
        self.where = where
        self.type, self.coord, self.param, self.spline = [], [], [], []
        self.splines = []

    def add(self, node, coord_index, scale=1.0):
        """Add the function element ``node`` reading coordinate ``coord_index``; returns its id."""
        tag = node.tag
        if tag == "MultiplierFunction":
            inner = _child(node, "function", self.where)
            if len(inner) != 1:
                raise InputError(self.where, "MultiplierFunction without an inner function")
            factor = float(node.findtext("scale", "1"))
            return self.add(inner[0], coord_index, scale * factor)
        param = [0.0, 0.0]
        spline = -1
        if tag == "Constant":
            kind = FUNC_CONSTANT
            param[0] = float(_child(node, "value", self.where).text) * scale
            coord_index = -1
        elif tag == "LinearFunction":
            kind = FUNC_LINEAR
            slope, intercept = _text_floats(_child(node, "coefficients", self.where), self.where)
            param = [slope * scale, intercept * scale]
        elif tag == "SimmSpline":
            kind = FUNC_SPLINE
            xs = _text_floats(_child(node, "x", self.where), self.where)
            ys = _text_floats(_child(node, "y", self.where), self.where) * scale
            if len(xs) != len(ys) or len(xs) < 2 or np.any(np.diff(xs) <= 0):
                raise InputError(self.where, f"SimmSpline <{node.get('name')}> has bad knots")
            spline = len(self.splines)
            self.splines.append((xs, simm_spline_coefficients(xs, ys)))
        elif tag == "PolynomialFunction":
            kind = FUNC_POLY
            coefs = _text_floats(_child(node, "coefficients", self.where), self.where) * scale
            spline = len(self.splines)
            self.splines.append((coefs, np.zeros((len(coefs), 4))))
        else:
            raise InputError(self.where, f"unsupported function type <{tag}> "
                                         "(supported: Constant, LinearFunction, SimmSpline, PolynomialFunction, "
                                         "MultiplierFunction)")
        if kind != FUNC_CONSTANT and coord_index < 0:
            raise InputError(self.where, f"function <{tag}> is not tied to a coordinate of the leg")
        self.type.append(kind)
        self.coord.append(coord_index)
        self.param.append(param)
        self.spline.append(spline)
        return len(self.type) - 1

    def arrays(self):
        n_knot = max([len(x) for x, _ in self.splines] + [2])
        sx = np.zeros((max(len(self.splines), 1), n_knot))
        sc = np.zeros((max(len(self.splines), 1), n_knot, 4))
        sn = np.zeros(max(len(self.splines), 1), dtype=np.int64)
        for i, (x, coef) in enumerate(self.splines):
            sx[i, :len(x)] = x
            sc[i, :len(x)] = coef
            sn[i] = len(x)
        return dict(func_type=np.array(self.type, np.int64), func_coord=np.array(self.coord, np.int64),
                    func_param=np.array(self.param, float), func_spline=np.array(self.spline, np.int64),
                    spline_x=sx, spline_coef=sc, spline_n=sn)


def _transform(translation, orientation):
    pose = np.eye(4)
    pose[:3, :3] = rotation_xyz(orientation)
    pose[:3, 3] = translation
    return pose


def _function_node(axis_node, where):
    for child in axis_node:
        if child.tag not in ("coordinates", "axis"):
            return child
    raise InputError(where, f"transform axis <{axis_node.get('name')}> has no function")


def _frame_body(path):
    """'/bodyset/femur_r' or 'femur_r' -> 'femur_r'."""
    return path.strip().rstrip("/").split("/")[-1]


def _quadrant(text, where, name):
    """OpenSim WrapObject quadrant -> (axis, sign); 'all' -> (0, 0)."""
    q = (text or "all").strip().lower()
    if q in ("all", "unassigned", ""):
        return 0, 0
    sign = -1 if q.startswith("-") else 1
    axis = q.lstrip("+-")
    if axis not in ("x", "y", "z"):
        raise InputError(where, f"wrap object {name}: bad quadrant {text!r}")
    return "xyz".index(axis), sign


def _pin_axes():
    """The six transform axes of a PinJoint in CustomJoint form: rotation about F's z axis by the
    coordinate, everything else zero."""
    return [((0.0, 0.0, 1.0), True), ((1.0, 0.0, 0.0), False), ((0.0, 1.0, 0.0), False),
            ((1.0, 0.0, 0.0), False), ((0.0, 1.0, 0.0), False), ((0.0, 0.0, 1.0), False)]


def parse_osim(path):
    """Parse an OpenSim 4 model file into a :class:`Model` (right leg only).

    Parameters
    ----------
    path : str or Path
        ``.osim`` XML (OpenSimDocument Version >= 30000 with CustomJoints and PinJoints).

    Raises
    ------
    InputError
        If the file is unreadable, is not an OpenSim model, or lacks the right-leg chain.
    """
    path = Path(path)
    where = str(path)
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise InputError(where, f"cannot read OpenSim model ({exc})")
    model_node = root.find("Model")
    if model_node is None:
        raise InputError(where, "not an OpenSim model file (no <Model>)")

    bodies = {b.get("name"): b for b in model_node.iter("Body")}
    missing = [b for b in CHAIN_BODIES if b not in bodies]
    if missing:
        raise InputError(where, f"model lacks bodies {missing}")

    joints = {}
    for joint in model_node.find("JointSet").find("objects"):
        frames = {f.get("name"): f for f in joint.iter("PhysicalOffsetFrame")}
        child_frame = _child(joint, "socket_child_frame", where).text.strip()
        parent_frame = _child(joint, "socket_parent_frame", where).text.strip()
        child_body = _frame_body(frames[child_frame].find("socket_parent").text) \
            if child_frame in frames else _frame_body(child_frame)
        parent_body = _frame_body(frames[parent_frame].find("socket_parent").text) \
            if parent_frame in frames else _frame_body(parent_frame)
        joints[child_body] = (joint, frames, parent_frame, child_frame, parent_body)

    body_list = list(CHAIN_BODIES)
    parents = [("ground" if b == 0 else CHAIN_BODIES[b - 1]) for b in range(len(CHAIN_BODIES))]
    for branch, parent in BRANCH_BODIES:
        if branch in bodies and branch in joints and joints[branch][4] == parent:
            body_list.append(branch)
            parents.append(parent)

    # Coordinate couplers: dependent coordinate -> (independent name, function node, scale).
    couplers = {}
    constraints = model_node.find("ConstraintSet/objects")
    for con in (constraints if constraints is not None else []):
        if con.tag != "CoordinateCouplerConstraint":
            continue
        if (con.findtext("isEnforced") or "true").strip().lower() in ("false", "0"):
            continue
        indep = (con.findtext("independent_coordinate_names") or "").split()
        fnode = _child(con, "coupled_coordinates_function", where)
        if len(indep) != 1 or len(fnode) != 1:
            raise InputError(where, f"{con.get('name')}: only single-coordinate couplers are supported")
        couplers[con.findtext("dependent_coordinate_name").strip()] = (
            indep[0], fnode[0], float(con.findtext("scale_factor") or 1.0))

    coord_names, coord_ranges, dep_names = [], [], []
    for body in body_list:
        if body not in joints:
            raise InputError(where, f"no joint moves body {body}")
        joint = joints[body][0]
        if joint.tag not in ("CustomJoint", "PinJoint"):
            raise InputError(where, f"joint {joint.get('name')} is a {joint.tag}; "
                                    "only CustomJoint and PinJoint are supported")
        for coord in joint.iter("Coordinate"):
            if coord.get("name") in couplers:
                dep_names.append(coord.get("name"))
            else:
                coord_names.append(coord.get("name"))
                coord_ranges.append(_text_floats(_child(coord, "range", where), where)[:2])
    ext_names = coord_names + dep_names

    funcs = _FunctionTable(where)
    n_body = len(body_list)
    parent_offset = np.zeros((n_body, 4, 4))
    child_offset = np.zeros((n_body, 4, 4))
    joint_axis = np.zeros((n_body, 6, 3))
    joint_func = np.zeros((n_body, 6), dtype=np.int64)
    body_parent = np.array([-1 if p == "ground" else body_list.index(p) for p in parents], np.int64)
    for b, body in enumerate(body_list):
        joint, frames, parent_frame, child_frame, parent_body = joints[body]
        for target, name in ((parent_offset, parent_frame), (child_offset, child_frame)):
            if name in frames:
                frame = frames[name]
                target[b] = _transform(_text_floats(_child(frame, "translation", where), where),
                                       _text_floats(_child(frame, "orientation", where), where))
            else:
                target[b] = np.eye(4)
        if parent_body != parents[b]:
            raise InputError(where, f"joint {joint.get('name')} connects {parent_body} to {body}; "
                                    f"expected parent {parents[b]}")
        if joint.tag == "PinJoint":
            coords = [c.get("name") for c in joint.iter("Coordinate")]
            if len(coords) != 1:
                raise InputError(where, f"PinJoint {joint.get('name')} needs one coordinate")
            ci = ext_names.index(coords[0])
            for k, (axis, moving) in enumerate(_pin_axes()):
                joint_axis[b, k] = axis
                if moving:
                    joint_func[b, k] = funcs.add(ET.fromstring(
                        "<LinearFunction><coefficients>1 0</coefficients></LinearFunction>"), ci)
                else:
                    joint_func[b, k] = funcs.add(ET.fromstring(
                        "<Constant><value>0</value></Constant>"), -1)
            continue
        axes = _child(joint, "SpatialTransform", where).findall("TransformAxis")
        if len(axes) != 6:
            raise InputError(where, f"joint {joint.get('name')} does not have 6 transform axes")
        for k, axis_node in enumerate(axes):
            axis = _text_floats(_child(axis_node, "axis", where), where)
            joint_axis[b, k] = axis / np.linalg.norm(axis)
            coords = (axis_node.findtext("coordinates") or "").split()
            if len(coords) > 1:
                raise InputError(where, f"{joint.get('name')}: multi-coordinate functions unsupported")
            ci = ext_names.index(coords[0]) if coords else -1
            joint_func[b, k] = funcs.add(_function_node(axis_node, where), ci)

    dependent_func = []
    for name in dep_names:
        indep, fnode, scale = couplers[name]
        if indep not in coord_names:
            raise InputError(where, f"coupler of {name} reads {indep!r}, not a coordinate of the leg")
        dependent_func.append(funcs.add(fnode, coord_names.index(indep), scale))

    body_mass = np.array([float(_child(bodies[b], "mass", where).text) for b in body_list])
    body_com = np.array([_text_floats(_child(bodies[b], "mass_center", where), where)
                         for b in body_list])
    body_inertia = np.zeros((n_body, 3, 3))
    for b, body in enumerate(body_list):
        ixx, iyy, izz, ixy, ixz, iyz = _text_floats(_child(bodies[body], "inertia", where), where)
        body_inertia[b] = [[ixx, ixy, ixz], [ixy, iyy, iyz], [ixz, iyz, izz]]

    wraps = _parse_wrap_objects(bodies, body_list, where)
    muscles = _parse_muscles(model_node, body_list, ext_names, funcs, wraps, where)
    gravity_node = model_node.find("gravity")
    gravity = _text_floats(gravity_node, where) if gravity_node is not None else np.array([0, -9.80665, 0])
    used = sorted((w for w in wraps.values() if "index" in w), key=lambda w: w["index"])
    wrap_arrays = dict(
        wrap_body=np.array([w["body"] for w in used], np.int64),
        wrap_rotation=np.array([w["rotation"] for w in used], float).reshape(-1, 3, 3),
        wrap_translation=np.array([w["translation"] for w in used], float).reshape(-1, 3),
        wrap_radius=np.array([w["radius"] for w in used], float),
        wrap_length=np.array([w["length"] for w in used], float),
        wrap_axis=np.array([w["axis"] for w in used], np.int64),
        wrap_sign=np.array([w["sign"] for w in used], np.int64))
    return Model(source=where, body_names=tuple(body_list), coordinate_names=tuple(coord_names),
                 coordinate_range=np.array(coord_ranges, float),
                 joint_parent_offset=parent_offset, joint_child_offset=child_offset,
                 joint_axis=joint_axis, joint_func=joint_func, body_mass=body_mass,
                 body_com=body_com, body_inertia=body_inertia, gravity=gravity,
                 body_parent=body_parent, dependent_func=np.array(dependent_func, np.int64),
                 dependent_names=tuple(dep_names), **wrap_arrays, **funcs.arrays(), **muscles)


def _parse_wrap_objects(bodies, body_list, where):
    """WrapCylinders on the kept bodies, by name, in body then file order (dict of dicts).
    Other wrap-object types are recorded as unsupported so that a muscle using one fails clearly."""
    wraps = {}
    for b, body in enumerate(body_list):
        for node in bodies[body].iter():
            if not node.tag.startswith("Wrap") or node.tag in ("WrapObjectSet",):
                continue
            name = node.get("name")
            if name is None:
                continue
            if node.tag != "WrapCylinder":
                wraps[name] = dict(unsupported=node.tag)
                continue
            active = (node.findtext("active") or "true").strip().lower() not in ("false", "0")
            axis, sign = _quadrant(node.findtext("quadrant"), where, name)
            wraps[name] = dict(
                body=b, active=active, axis=axis, sign=sign,
                rotation=rotation_xyz(_text_floats(_child(node, "xyz_body_rotation", where), where)),
                translation=_text_floats(_child(node, "translation", where), where),
                radius=float(_child(node, "radius", where).text),
                length=float(_child(node, "length", where).text))
    return wraps


_MUSCLE_TAGS = ("Thelen2003Muscle", "Millard2012EquilibriumMuscle", "DeGrooteFregly2016Muscle")
_PARAM_DEFAULTS = dict(max_contraction_velocity=10.0, KshapeActive=0.5, KshapePassive=4.0,
                       FmaxMuscleStrain=0.6, Af=0.3, Flen=1.8)


def _parse_muscles(model_node, body_list, coord_names, funcs, wrap_objects, where):
    """Right-leg muscles: path points, PathWraps (cylinders; each used wrap object gets an
    ``index`` entry, in order of first use) and Hill parameters.

    Thelen2003Muscle and DeGrooteFregly2016Muscle: the Thelen parameters (``KshapeActive`` ...,
    defaults where absent). Millard2012EquilibriumMuscle: the properties of its
    ``ActiveForceLengthCurve``, ``ForceVelocityCurve``, ``FiberForceLengthCurve`` and
    ``TendonForceLengthCurve`` children (:data:`hipsim.millard.CURVE_PROPERTIES`; OpenSim's
    defaults where absent or empty, e.g. the Uhlrich 2022 calibrated passive curves of
    RajagopalLaiUhlrich2023 are read as given) and ``ignore_tendon_compliance`` (default
    false), tabulated once into ``MuscleParameters.millard``.
    """
    body_index = {b: i for i, b in enumerate(body_list)}
    names, starts = [], [0]
    p_body, p_loc, p_type, p_coord, p_range, p_func = [], [], [], [], [], []
    wrap_starts, pw_object, pw_range = [0], [], []
    n_used = 0
    params = {k: [] for k in ("max_isometric_force", "optimal_fiber_length", "tendon_slack_length",
                              "pennation_angle_at_optimal", *_PARAM_DEFAULTS)}
    millard_index, millard_curves, millard_compliant = [], [], []
    for muscle in model_node.iter():
        if muscle.tag not in _MUSCLE_TAGS or muscle.get("name") in _NOT_LEG:
            continue
        points = muscle.find("GeometryPath/PathPointSet/objects")
        if points is None:
            continue
        frames = [_frame_body(p.findtext("socket_parent_frame", "")) for p in points]
        if not frames or any(f not in body_index for f in frames):
            continue
        if all(f == "pelvis" for f in frames):
            continue
        wraps = muscle.find("GeometryPath/PathWrapSet/objects")
        for pw in (wraps if wraps is not None else []):
            wname = (pw.findtext("wrap_object") or "").strip()
            wo = wrap_objects.get(wname)
            if wo is None:
                raise InputError(where, f"muscle {muscle.get('name')}: wrap object {wname!r} is not "
                                        "on the pelvis or right-leg bodies")
            if "unsupported" in wo:
                raise InputError(where, f"muscle {muscle.get('name')} wraps over {wname}, a "
                                        f"{wo['unsupported']}; only WrapCylinder is supported")
            if not wo["active"]:
                continue
            if "index" not in wo:
                wo["index"] = n_used
                n_used += 1
            pw_object.append(wo["index"])
            rng = _text_floats(pw.find("range"), where) if pw.find("range") is not None else [-1, -1]
            pw_range.append([int(rng[0]), int(rng[1])])
        wrap_starts.append(len(pw_object))
        names.append(muscle.get("name"))
        for point, body in zip(points, frames):
            p_body.append(body_index[body])
            p_range.append([0.0, 0.0])
            p_coord.append(-1)
            p_func.append([-1, -1, -1])
            if point.tag == "PathPoint":
                p_type.append(POINT_FIXED)
                p_loc.append(_text_floats(_child(point, "location", where), where))
            elif point.tag == "ConditionalPathPoint":
                p_type.append(POINT_CONDITIONAL)
                p_loc.append(_text_floats(_child(point, "location", where), where))
                coord = point.findtext("socket_coordinate", "").split("/")[-1]
                if coord not in coord_names:
                    raise InputError(where, f"{point.get('name')}: unknown coordinate {coord!r}")
                p_coord[-1] = coord_names.index(coord)
                p_range[-1] = list(_text_floats(_child(point, "range", where), where))
            elif point.tag == "MovingPathPoint":
                p_type.append(POINT_MOVING)
                p_loc.append(np.zeros(3))
                for k, axis in enumerate("xyz"):
                    coord = point.findtext(f"socket_{axis}_coordinate", "").split("/")[-1]
                    fnode = _child(point, f"{axis}_location", where)
                    if len(fnode) != 1:
                        raise InputError(where, f"{point.get('name')}: {axis}_location has no function")
                    ci = coord_names.index(coord) if coord in coord_names else -1
                    p_func[-1][k] = funcs.add(fnode[0], ci)
            else:
                raise InputError(where, f"unsupported path point type <{point.tag}>")
        starts.append(len(p_body))
        for key in params:
            text = muscle.findtext(key)
            if text is None:
                if key not in _PARAM_DEFAULTS:
                    raise InputError(where, f"muscle {names[-1]} lacks <{key}>")
                params[key].append(_PARAM_DEFAULTS[key])
            else:
                params[key].append(float(text))
        if muscle.tag == "Millard2012EquilibriumMuscle":
            millard_index.append(len(names) - 1)
            millard_curves.append(_millard_curve_properties(muscle, names[-1], where))
            millard_compliant.append(not _xml_bool(muscle, "ignore_tendon_compliance", False, where))
    if not names:
        raise InputError(where, "no right-leg muscles found")
    arr = {k: np.array(v, float) for k, v in params.items()}
    return dict(
        muscle_names=tuple(names),
        muscle_point_start=np.array(starts, np.int64),
        muscle_wrap_start=np.array(wrap_starts, np.int64),
        pathwrap_object=np.array(pw_object, np.int64),
        pathwrap_range=np.array(pw_range, np.int64).reshape(-1, 2),
        point_body=np.array(p_body, np.int64),
        point_location=np.array(p_loc, float).reshape(-1, 3),
        point_type=np.array(p_type, np.int64),
        point_coord=np.array(p_coord, np.int64),
        point_range=np.array(p_range, float).reshape(-1, 2),
        point_func=np.array(p_func, np.int64).reshape(-1, 3),
        muscles=MuscleParameters(
            max_isometric_force=arr["max_isometric_force"],
            optimal_fiber_length=arr["optimal_fiber_length"],
            tendon_slack_length=arr["tendon_slack_length"],
            pennation_at_optimal=arr["pennation_angle_at_optimal"],
            max_contraction_velocity=arr["max_contraction_velocity"],
            fl_shape=arr["KshapeActive"], passive_shape=arr["KshapePassive"],
            passive_strain_at_fmax=arr["FmaxMuscleStrain"], fv_af=arr["Af"], fv_flen=arr["Flen"],
            millard=(MillardCurves.build(millard_index, millard_curves, millard_compliant)
                     if millard_index else None)),
    )


def _xml_bool(node, tag, default, where):
    """The boolean child ``tag`` of ``node`` (``true`` / ``false``, as OpenSim writes them;
    ``default`` when absent or empty)."""
    text = (node.findtext(tag) or "").strip().lower()
    if not text:
        return default
    if text not in ("true", "false"):
        raise InputError(where, f"{node.get('name')}: <{tag}> must be true or false, not {text!r}")
    return text == "true"


def _millard_curve_properties(muscle, name, where):
    """``{curve tag: {property: float}}`` of a Millard2012EquilibriumMuscle node: the properties
    present and non-empty (the rest keep OpenSim's defaults), each curve checked as OpenSim
    does when it builds it."""
    curves = {}
    for tag, defaults in CURVE_PROPERTIES.items():
        node = muscle.find(tag)
        values = {}
        for key in defaults:
            text = node.findtext(key) if node is not None else None
            if text is None or not text.strip():
                continue
            try:
                values[key] = float(text)
            except ValueError:
                values[key] = math.nan
            if not math.isfinite(values[key]):
                raise InputError(where, f"muscle {name}: {tag} {key} is not a finite number: {text.strip()!r}")
        try:
            build_curve(tag, values)
        except ValueError as exc:
            raise InputError(where, f"muscle {name}: {tag}: {exc}") from None
        curves[tag] = values
    return curves


def scaled(model, length_scale, mass_scale):
    """Uniformly scale a model's geometry and mass (OpenSim's Scale tool with one factor).

    Lengths (joint offsets, joint translations, path points, centres of mass, optimal fibre
    and tendon slack lengths) scale by ``length_scale``; masses by ``mass_scale``; inertias by
    ``mass_scale * length_scale**2``. Maximum isometric forces are unchanged, as in OpenSim.
    """
    if length_scale == 1.0 and mass_scale == 1.0:
        return model
    s = float(length_scale)

    def scale_pose(poses):
        out = poses.copy()
        out[:, :3, 3] *= s
        return out

    # Scale the functions that produce lengths: translation axes of the leg joints (not the
    # pelvis's, whose functions map the trial's own translations) and moving path points.
    length_funcs = set(model.joint_func[1:, 3:].ravel()) | set(model.point_func[model.point_func >= 0])
    func_param = model.func_param.copy()
    spline_coef = model.spline_coef.copy()
    spline_x = model.spline_x
    for f in length_funcs:
        func_param[f] *= s
        if model.func_type[f] == FUNC_SPLINE:
            spline_coef[model.func_spline[f]] *= s
        elif model.func_type[f] == FUNC_POLY:
            spline_x = spline_x.copy() if spline_x is model.spline_x else spline_x
            spline_x[model.func_spline[f]] *= s
    m = model.muscles
    return replace(
        model,
        joint_parent_offset=scale_pose(model.joint_parent_offset),
        joint_child_offset=scale_pose(model.joint_child_offset),
        func_param=func_param, spline_coef=spline_coef, spline_x=spline_x,
        wrap_translation=model.wrap_translation * s, wrap_radius=model.wrap_radius * s,
        wrap_length=model.wrap_length * s,
        body_mass=model.body_mass * mass_scale, body_com=model.body_com * s,
        body_inertia=model.body_inertia * mass_scale * s * s,
        point_location=model.point_location * s,
        muscles=replace(m, optimal_fiber_length=m.optimal_fiber_length * s,
                        tendon_slack_length=m.tendon_slack_length * s),
    )


@functools.lru_cache(maxsize=8)
def _load_cached(path):
    return parse_osim(path)


def load_model(path=None):
    """The model from ``path`` (an OpenSim ``.osim``) or the shipped gait2392, unscaled.

    Parsed once per path and process.
    """
    return _load_cached(str(Path(path).resolve()) if path else str(DEFAULT_MODEL))


def whole_body_mass(path=None):
    """Total mass of all bodies in the model file [kg] (for scaling to a subject, or as the
    subject's with ``model.osim_file``); read once per file version (path, modification time,
    size) and process."""
    path = Path(path or DEFAULT_MODEL).resolve()
    stat = path.stat()
    return _body_mass(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _body_mass(path, mtime_ns, size):
    root = ET.parse(path).getroot()
    return float(sum(float(b.findtext("mass", "0")) for b in root.iter("Body")))
