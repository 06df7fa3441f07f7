"""Configuration: YAML in, a frozen validated :class:`Config` out.

Every key is optional (defaults below and in ``configs/``). Unknown keys, wrong types,
out-of-range values and NaN raise :class:`~hipsim.errors.InputError` naming the dotted key.
Paths in a config file are resolved relative to that file.
"""
from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any, Dict, List, Literal, Optional, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import InputError, InputWarning


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Subject(_Section):
    mass_kg: float = Field(70.0, gt=20, le=250)
    height_m: float = Field(1.75, gt=1.0, le=2.3)


ActivityKind = Literal["walking", "running", "sprinting", "squat", "fadir", "faber"]


class Fadir(_Section):
    """FADIR exam, passive: flexion first, then adduction and internal rotation, angles against
    the anterior pelvic plane and the femur's mechanical and posterior condylar axes (clinical /
    CT convention). Defaults: 90 deg flexion (the test's definition) and the examiner's passive
    end point measured in hips without FAI by dynamic radiostereometry (3.9 deg adduction,
    19.1 deg internal rotation; J Exp Orthop 2017, doi:10.1186/s40634-017-0096-2), rounded."""
    flexion_deg: float = Field(90.0, ge=0, le=140)
    adduction_deg: float = Field(5.0, ge=-30, le=45)
    internal_rotation_deg: float = Field(20.0, ge=-60, le=80)
    duration_s: float = Field(4.0, gt=0.5, le=60)


class Faber(_Section):
    """FABER (Patrick) exam, passive: flexion, abduction and external rotation (the figure-4
    position), anatomical angles as for FADIR; no study measuring its joint angles was found,
    so the defaults are the position's usual description, 45 deg each."""
    flexion_deg: float = Field(45.0, ge=0, le=140)
    abduction_deg: float = Field(45.0, ge=-30, le=80)
    external_rotation_deg: float = Field(45.0, ge=-60, le=90)
    duration_s: float = Field(4.0, gt=0.5, le=60)


class Squat(_Section):
    """Bilateral squat to this depth and back."""
    hip_flexion_deg: float = Field(100.0, ge=0, le=140)
    knee_flexion_deg: float = Field(110.0, ge=0, le=150)
    ankle_dorsiflexion_deg: float = Field(25.0, ge=-20, le=45)
    duration_s: float = Field(3.0, gt=0.5, le=60)


class Rotation(_Section):
    """One turn of the laboratory's axes about one of them, right-handed [deg]."""
    axis: Literal["x", "y", "z"]
    deg: float = Field(ge=-360, le=360)


class Activity(_Section):
    kind: ActivityKind = "running"
    speed_m_s: Optional[float] = Field(None, gt=0, le=12)  # null: the activity's reference speed
    trial: Optional[str] = Field(None, max_length=64)  # library trial (hipsim.gait.LIBRARY); null: default
    incline_deg: float = Field(0.0, ge=-20, le=20)
    frames: int = Field(101, ge=11, le=2001)
    motion_file: Optional[str] = None
    grf_file: Optional[str] = None
    external_loads: Optional[str] = None   # OpenSim ExternalLoads XML naming the right foot's GRF columns
    time_range: Optional[List[float]] = Field(None, min_length=2, max_length=2)  # [t0, t1] s of the files
    # a .c3d grf_file: the plates (1-based) the right foot lands on, and the rotations [axis, deg]
    # that turned the laboratory into OpenSim's y-up ground for the markers (first applied first)
    c3d_right_plates: Optional[List[int]] = Field(None, min_length=1, max_length=16)
    c3d_rotation_deg: List[Rotation] = Field(default_factory=list, max_length=4)
    filter_hz: Optional[float] = Field(6.0, gt=0, le=100)  # low-pass of motion-file coordinates
    leg: Literal["right", "left"] = "right"   # a file trial's leg (left: mirrored onto the right-leg model)
    fadir: Fadir = Fadir()
    faber: Faber = Faber()
    squat: Squat = Squat()


class Form(_Section):
    cadence_change_pct: float = Field(0.0, ge=-30, le=30)
    step_width_m: Optional[float] = Field(None, ge=-0.1, le=0.5)
    overstride_m: float = Field(0.0, ge=-0.2, le=0.4)
    pelvic_rotation_scale: float = Field(1.0, ge=0, le=3)


_STRENGTH = dict(ge=0.0, le=3.0)


class Strength(_Section):
    gluteus_maximus: float = Field(1.0, **_STRENGTH)
    gluteus_medius: float = Field(1.0, **_STRENGTH)
    gluteus_minimus: float = Field(1.0, **_STRENGTH)
    iliopsoas: float = Field(1.0, **_STRENGTH)
    tensor_fasciae_latae: float = Field(1.0, **_STRENGTH)
    rectus_femoris: float = Field(1.0, **_STRENGTH)
    hamstrings: float = Field(1.0, **_STRENGTH)
    adductors: float = Field(1.0, **_STRENGTH)
    deep_rotators: float = Field(1.0, **_STRENGTH)
    core: float = Field(1.0, **_STRENGTH)


class Flexibility(_Section):
    hip_flexor_tightness_deg: float = Field(0.0, ge=0, le=30)


class Morphology(_Section):
    """The hip's shape. The bones are the shipped atlas unless ``femur_mesh`` / ``acetabulum_mesh``
    name a patient's; every shape key left null keeps the bones' own value (measured with
    :mod:`hipsim.measure` and stored in the result), a number deforms the bones to measure that
    (:mod:`hipsim.anatomy`)."""
    alpha_angle_deg: Optional[float] = Field(None, ge=30, le=110)
    cam_clock: float = Field(1.5, ge=0, le=12)
    lce_angle_deg: Optional[float] = Field(None, ge=-10, le=60)
    acetabular_version_deg: Optional[float] = Field(None, ge=-20, le=50)
    cranial_version_deg: Optional[float] = Field(None, ge=-30, le=50)
    femoral_version_deg: Optional[float] = Field(None, ge=-30, le=50)
    neck_shaft_angle_deg: Optional[float] = Field(None, ge=100, le=160)
    head_neck_offset_mm: Optional[float] = Field(None, ge=0, le=20)
    head_radius_mm: Optional[float] = Field(None, ge=15, le=35)
    femur_mesh: Optional[str] = None
    acetabulum_mesh: Optional[str] = None


class Cartilage(_Section):
    thickness_mm: Optional[float] = Field(None, gt=0, le=10)   # null: the cartilage fills the joint space
    modulus_mpa: float = Field(12.0, gt=0, le=1000)
    poisson_ratio: float = Field(0.45, ge=0, lt=0.5)
    pressure_map: bool = False     # also store the per-element pressure of every frame


class Range(_Section):
    start: float
    stop: float
    num: int = Field(ge=1)


class Sweep(_Section):
    design: Literal["grid", "lhs", "sobol"] = "grid"
    samples: Optional[int] = Field(None, ge=1)
    seed: int = 0
    axes: Dict[str, Union[List[Any], Range]] = Field(default_factory=dict)


class Rom(_Section):
    """Range-of-motion search (``hipsim rom``)."""
    flexion_start_deg: float = Field(0.0, ge=-30, le=140)
    flexion_stop_deg: float = Field(120.0, ge=-30, le=140)
    flexion_step_deg: float = Field(5.0, ge=0.5, le=60)
    adduction_deg: float = Field(0.0, ge=-45, le=45)
    adducted_deg: float = Field(15.0, ge=-45, le=45)     # the second internal-rotation curve (FADIR)
    tolerance_deg: float = Field(0.05, ge=0.001, le=2)
    reference: Literal["anatomical", "model"] = "anatomical"


class ModelSection(_Section):
    # shipped model, scaled to the subject; null: the activity's (hipsim.model.DEFAULT_MODEL_NAME)
    name: Optional[Literal["gait2392", "rajagopal2023"]] = None
    osim_file: Optional[str] = None  # an OpenSim model to use as is instead of a shipped one


class Solver(_Section):
    activation_exponent: float = Field(2.0, ge=2.0, le=8.0)
    muscle_physiology: bool = True          # force-length-velocity and passive force (Thelen 2003)
    reserve_optimal_moment_nm: float = Field(1.0, gt=0, le=100)
    reserve_flag_nm: float = Field(1.0, gt=0)  # frames needing more reserve than this are flagged
    max_iterations: int = Field(100, ge=5, le=10000)
    tolerance: float = Field(1e-10, gt=0, le=1e-3)
    min_activation: float = Field(0.0, ge=0, le=0.5)  # OpenSim's StaticOptimization: 0.01


class Config(_Section):
    subject: Subject = Subject()
    activity: Activity = Activity()
    form: Form = Form()
    strength: Strength = Strength()
    flexibility: Flexibility = Flexibility()
    morphology: Morphology = Morphology()
    cartilage: Cartilage = Cartilage()
    sweep: Sweep = Sweep()
    model: ModelSection = ModelSection()
    solver: Solver = Solver()
    rom: Rom = Rom()

    def to_dict(self):
        """Plain nested dict of every value (defaults included)."""
        return self.model_dump(mode="python")

    def to_yaml(self):
        """The resolved config as YAML text (what a result file stores in its attrs)."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def model_copy(self, *, update=None, deep=False):
        """A copy; ``update`` (sections or dotted keys, as :func:`load_config`'s ``overrides``) is
        validated, so ``cfg.model_copy(update={"strength": {"gluteus_medius": 0.6}})`` gives a
        full Config or an InputError, never a half-typed one."""
        if not update:
            return super().model_copy(deep=deep)
        return load_config(self, overrides=update)


_PATH_KEYS = ("activity.motion_file", "activity.grf_file", "activity.external_loads", "morphology.femur_mesh",
              "morphology.acetabulum_mesh", "model.osim_file")

def _get(tree, dotted):
    node = tree
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


#: mappings whose keys are names, not config sections (their dots are not nesting)
_FREE_FORM = ("sweep.axes",)


def set_dotted(tree, dotted, value):
    """Set ``tree['a']['b'] = value`` for ``dotted='a.b'``, creating sections as needed (below
    ``sweep.axes`` the rest of the key is one axis name); what ``--set KEY=VALUE`` means."""
    parts = _split_key(dotted)
    _section(tree, parts[:-1], dotted)[parts[-1]] = value


def parse_override(text):
    """``'strength.gluteus_medius=0.6'`` -> ``('strength.gluteus_medius', 0.6)`` (YAML-typed value)."""
    if "=" not in text:
        raise InputError("--set", f"expected KEY=VALUE, got {text!r}")
    key, raw = text.split("=", 1)
    key = key.strip()
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        raise InputError(key, f"cannot parse value {raw!r}")
    return key, value


def _read_yaml(path):
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise InputError(path, f"cannot read config ({exc.strerror or exc})")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        raise InputError(path, f"invalid YAML{at}")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(path, "the config must be a mapping of sections")
    return data


def _plain_copy(value):
    """Deep copy of nested dicts and lists with numpy scalars and arrays made plain Python
    (what the YAML loader would give), so validation sees the same types either way."""
    if isinstance(value, dict):
        return {k: _plain_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_copy(v) for v in value]
    if hasattr(value, "tolist") and type(value).__module__ == "numpy":
        return _plain_copy(value.tolist())
    return value


def _error_key(err):
    loc = [str(p) for p in err["loc"] if not str(p).startswith(("list[", "Range", "function-"))]
    return ".".join(loc) or "config"


def _reject_nan(tree, prefix=""):
    for key, value in (tree.items() if isinstance(tree, dict) else []):
        dotted = f"{prefix}{key}"
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(dotted, "must be a finite number, not NaN or infinity")
        if isinstance(value, dict):
            _reject_nan(value, dotted + ".")


def _split_key(dotted):
    """Config path of a dotted key: ``'strength.gluteus_medius'`` -> ``['strength',
    'gluteus_medius']``; below ``sweep.axes`` the rest is one axis name
    (``'sweep.axes.subject.mass_kg'`` -> ``['sweep', 'axes', 'subject.mass_kg']``)."""
    parts = dotted.split(".")
    if not all(parts):
        raise InputError(dotted, "empty key segment")
    for free in _FREE_FORM:
        n = free.count(".") + 1
        if parts[:n] == free.split(".") and len(parts) > n + 1:
            return parts[:n] + [".".join(parts[n:])]
    return parts


def _section(tree, parts, dotted):
    """The dict at ``parts`` of ``tree``, created where missing."""
    node = tree
    for part in parts:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise InputError(dotted, f"{part!r} is not a section")
        node = child
    return node


def _merge_into(tree, update, prefix=""):
    """Merge ``update`` into ``tree`` in place: dotted keys set nested values, dicts merge into
    the section they name, anything else replaces; ``sweep.axes`` merges axis by axis, its keys
    (dotted config keys) taken as they are."""
    inside_free_form = prefix.rstrip(".") in _FREE_FORM
    for key, value in update.items():
        if not isinstance(key, str):
            raise InputError(prefix + str(key), "config keys must be strings")
        parts = [key] if inside_free_form else _split_key(key)
        node = _section(tree, parts[:-1], prefix + key)
        full = prefix + ".".join(parts)
        if isinstance(value, dict) and not inside_free_form:
            target = _section(node, parts[-1:], prefix + key)
            if full in _FREE_FORM:
                target.update(value)
            else:
                _merge_into(target, value, full + ".")
        else:
            node[parts[-1]] = value


def _override_items(overrides):
    """``(dotted key, value, merge)`` triples of ``load_config``'s ``overrides``: a dict's
    entries merge into the sections they name; ``KEY=VALUE`` strings and ``(key, value)`` pairs
    replace the value at the key."""
    if overrides is None:
        return []
    if isinstance(overrides, dict):
        return [(k, v, True) for k, v in overrides.items()]
    if isinstance(overrides, str):
        return [(*parse_override(overrides), False)]
    items = []
    for item in overrides:
        if isinstance(item, str):
            items.append((*parse_override(item), False))
        elif isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str):
            items.append((item[0], item[1], False))
        else:
            raise InputError("overrides", f"expected 'KEY=VALUE' or (key, value), got {item!r}")
    return items


def load_config(path_or_dict=None, overrides=None):
    """Validated, frozen config from a YAML file, a dict, a Config, or defaults (None).

    Parameters
    ----------
    path_or_dict : str, Path, dict, Config or None
        A dict may nest sections (``{"strength": {"gluteus_medius": 0.6}}``) or use dotted keys
        (``{"strength.gluteus_medius": 0.6}``), or both. Relative file paths resolve against the
        YAML file's folder (the working directory for a dict).
    overrides : dict, str, or iterable of ``'dotted.key=value'`` strings or ``(key, value)`` pairs
        Applied on top, in order; dict keys may be dotted or name a section whose dict is merged
        into it. Strings are parsed as ``--set`` does (YAML-typed values).

    Returns
    -------
    Config

    Raises
    ------
    InputError
        Naming the offending key (or file).

    Examples
    --------
    >>> cfg = load_config({"activity": {"kind": "running"}}, overrides={"strength.gluteus_medius": 0.6})
    >>> cfg.strength.gluteus_medius
    0.6
    """
    base_dir = Path.cwd()
    if path_or_dict is None:
        tree = {}
    elif isinstance(path_or_dict, Config):
        tree = path_or_dict.to_dict()
    elif isinstance(path_or_dict, dict):
        tree = {}
        _merge_into(tree, _plain_copy(path_or_dict))
    else:
        tree = _read_yaml(path_or_dict)
        base_dir = Path(path_or_dict).resolve().parent
    for key, value, merge in _override_items(overrides):
        if merge:
            _merge_into(tree, {key: _plain_copy(value)})
        else:
            set_dotted(tree, key, _plain_copy(value))
    _reject_nan(tree)
    for key in _PATH_KEYS:
        value = _get(tree, key)
        if isinstance(value, str):
            set_dotted(tree, key, str((base_dir / value).resolve()))
    try:
        config = Config.model_validate(tree)
    except ValidationError as exc:
        errors = exc.errors()
        # for a list-or-range axis given as a mapping, the range's own complaint is the useful one
        err = next((e for e in errors if "Range" in e["loc"]), errors[0]) \
            if errors[0]["type"] == "list_type" else errors[0]
        key = _error_key(err)
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        if err["type"] == "extra_forbidden":
            parent = key.rsplit(".", 1)[0] if "." in key else None
            fields = Config.model_fields if parent is None else {}
            if parent in Config.model_fields:
                fields = Config.model_fields[parent].annotation.model_fields
            if fields:
                msg += f" (known: {', '.join(fields)})"
        raise InputError(key, msg) from None
    if config.activity.incline_deg != 0.0 and config.activity.kind not in ("walking", "running", "sprinting"):
        raise InputError("activity.incline_deg", f"applies to walking, running and sprinting, not {config.activity.kind}")
    if config.form.overstride_m != 0.0 and config.activity.kind != "running":
        raise InputError("form.overstride_m", f"applies to running, not {config.activity.kind}")
    if config.form.step_width_m is not None and config.activity.kind != "running":
        raise InputError("form.step_width_m", f"applies to running (preferred width from running data), "
                                              f"not {config.activity.kind}")
    if config.form.cadence_change_pct != 0.0 and config.activity.kind not in ("running", "sprinting"):
        raise InputError("form.cadence_change_pct", f"applies to running and sprinting (a spring-mass gait), "
                                                    f"not {config.activity.kind}")
    if config.rom.flexion_stop_deg < config.rom.flexion_start_deg:
        raise InputError("rom.flexion_stop_deg", "must not be below rom.flexion_start_deg")
    if config.model.osim_file is not None and config.model.name is not None:
        raise InputError("model.osim_file", f"replaces the shipped model; drop model.name={config.model.name}")
    a = config.activity
    if (a.grf_file is not None or a.external_loads is not None) and a.motion_file is None:
        key = "activity.grf_file" if a.grf_file is not None else "activity.external_loads"
        raise InputError(key, "needs activity.motion_file for the same trial")
    if a.motion_file is not None and a.grf_file is None and a.external_loads is None:
        raise InputError("activity.motion_file", "needs activity.grf_file or activity.external_loads")
    if a.leg == "left" and a.motion_file is None:
        raise InputError("activity.leg", "the left leg runs from a trial's files (activity.motion_file); "
                                         "the built-in cycles are right strides")
    if a.leg == "left" and a.grf_file is not None and str(a.grf_file).lower().endswith(".c3d"):
        raise InputError("activity.leg", "a .c3d trial runs the right leg (activity.c3d_right_plates)")
    if a.grf_file is not None and str(a.grf_file).lower().endswith(".c3d") and not a.c3d_right_plates:
        raise InputError("activity.c3d_right_plates", "a .c3d grf_file needs the numbers of the plates the "
                                                      "right foot lands on (1-based)")
    if a.time_range is not None:
        if a.motion_file is None:
            raise InputError("activity.time_range", "applies to a user trial (activity.motion_file)")
        t0, t1 = a.time_range
        if not (math.isfinite(t0) and math.isfinite(t1) and t1 > t0):
            raise InputError("activity.time_range", f"needs two finite times t0 < t1, got {a.time_range}")
    resolved = config.to_dict()
    for key in _PATH_KEYS:
        value = _get(resolved, key)
        if value is not None and not Path(value).is_file():
            raise InputError(key, f"file not found: {value}")
    if config.model.osim_file:
        config = _with_model_mass(config, "mass_kg" in (tree.get("subject") or {}))
    return config


def _with_model_mass(config, mass_given):
    """With ``model.osim_file`` the subject is the model's: its body mass sets 1 BW unless
    ``subject.mass_kg`` is given, and a given mass more than 2 % off the model's warns (every BW
    value would silently be off by that much)."""
    import xml.etree.ElementTree as ET
    from .model import whole_body_mass
    try:
        mass = whole_body_mass(config.model.osim_file)
    except (ET.ParseError, OSError, ValueError, UnicodeDecodeError):
        return config                       # the model loader names what is wrong with the file
    if not mass > 0:
        return config
    if not mass_given:
        return config.model_copy(update={"subject.mass_kg": round(mass, 4)})
    if abs(config.subject.mass_kg - mass) > 0.02 * mass:
        warnings.warn(InputWarning(
            f"subject.mass_kg: {config.subject.mass_kg:g} kg differs from the model file's {mass:.1f} kg; "
            f"body weights use {config.subject.mass_kg:g} kg"), stacklevel=3)
    return config
