"""Sweep designs: which points a ``sweep`` section asks for, and how they split into chunks.

Designs (``sweep.design``), over the axes of ``sweep.axes`` (dotted config key -> list of values
or ``{start, stop, num}``):

* ``grid``: every combination; one dimension per swept key, named by the key, with the values as
  its coordinate.
* ``lhs``: ``sweep.samples`` points of a Latin hypercube (:func:`latin_hypercube`, seeded by
  ``sweep.seed``) over each axis's [min, max]; one ``sample`` dimension, one coordinate per key.
* ``sobol``: Saltelli's scheme for Sobol indices on a scrambled Sobol sequence (Saltelli et al.
  2010, Comput. Phys. Commun. 181:259): N = ``sweep.samples`` (a power of two) rows of two
  matrices A and B, then for every key i the matrix AB_i (A with column i from B). The ``sample``
  dimension holds A, AB_1 ... AB_k, B in that order, N (k + 2) points, and the ``sobol_block``
  coordinate says which (0 = A, i = AB_i, k + 1 = B); the first N points alone are a Sobol
  sequence. :mod:`hipsim.sensitivity` turns any output into first- and total-order indices.

The sweep is stored in chunks of points (hyper-rectangles of the design), each one task for a
worker: about :data:`TARGET_CHUNK_POINTS` points, a few seconds of work, and a fixed function of
the design alone so that a resumed sweep lines up with the interrupted one whatever the number
of workers. Keys that load new bones (``morphology.femur_mesh`` / ``acetabulum_mesh``) get chunks
one value wide and are iterated slowest, so each task needs one set of bones and a worker reuses
it; shape keys (``morphology.alpha_angle_deg`` ...) only deform the bones, in milliseconds.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from .config import Config, Range, load_config, set_dotted
from .errors import InputError

#: largest number of points in one chunk (= one task); ~2 s of work for a 101-frame running cycle
TARGET_CHUNK_POINTS = 128
#: config keys a sweep cannot vary: they change a dimension of the result or the sweep itself
UNSWEEPABLE = {
    "activity.frames": "changes the frame dimension; run one sweep per frame count",
    "model.osim_file": "changes the muscle dimension; run one sweep per model",
    "cartilage.pressure_map": "set it for the whole sweep instead",
}
#: keys whose values need their own bones (new mesh files: seconds to place, refine and label;
#: a new shape of the same bones takes milliseconds, :mod:`hipsim.anatomy`)
MODEL_BUILDING_PREFIXES = ("morphology.femur_mesh", "morphology.acetabulum_mesh")


@dataclass(frozen=True)
class Design:
    """The points of a sweep.

    keys : swept dotted keys, in the order given
    dims : dimension names of the point layout (the keys for a grid; ``("sample",)`` otherwise)
    shape : number of points along each dim
    coords : name -> (dims, values) of the sweep coordinates
    points : per point in C order of ``shape``, {key: value}
    """
    design: str
    keys: tuple
    dims: tuple
    shape: tuple
    coords: dict
    points: list

    @property
    def n_points(self):
        return len(self.points)


def axis_values(key, spec):
    """The values of one grid axis: a list as given, or ``num`` values from ``start`` to ``stop``."""
    if isinstance(spec, Range):
        return list(np.linspace(spec.start, spec.stop, spec.num))
    values = list(spec)
    if not values:
        raise InputError(f"sweep.axes.{key}", "an axis needs at least one value")
    return values


def _axis_bounds(key, spec):
    if isinstance(spec, Range):
        lo, hi = spec.start, spec.stop
    else:
        values = axis_values(key, spec)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            raise InputError(f"sweep.axes.{key}", "lhs and sobol designs need numeric axes")
        lo, hi = min(values), max(values)
    return float(min(lo, hi)), float(max(lo, hi))


def _check_keys(keys):
    for key in keys:
        if key.startswith(("sweep.", "rom.")) or key in ("sweep", "rom"):
            raise InputError(f"sweep.axes.{key}", "a sweep varies the simulation, not the sweep or rom sections")
        if key in UNSWEEPABLE:
            raise InputError(f"sweep.axes.{key}", f"cannot be swept: {UNSWEEPABLE[key]}")


def design(sweep):
    """The :class:`Design` of a ``sweep`` config section (InputError names a bad spec)."""
    axes = dict(sweep.axes)
    if not axes:
        raise InputError("sweep.axes", "a sweep needs at least one axis")
    keys = tuple(axes)
    _check_keys(keys)
    if sweep.design == "grid":
        values = [axis_values(k, axes[k]) for k in keys]
        points = [{k: v for k, v in zip(keys, combo)} for combo in itertools.product(*values)]
        coords = {k: ((k,), np.asarray(v)) for k, v in zip(keys, values)}
        return Design("grid", keys, keys, tuple(len(v) for v in values), coords, points)
    n = sweep.samples
    if n is None:
        raise InputError("sweep.samples", f"the {sweep.design} design needs a sample count")
    bounds = np.array([_axis_bounds(k, axes[k]) for k in keys])
    d = len(keys)
    if sweep.design == "lhs":
        unit = latin_hypercube(n, d, sweep.seed)
        blocks = None
    else:
        if n & (n - 1):
            raise InputError("sweep.samples", f"a Sobol design needs a power of two, got {n}")
        unit, blocks = saltelli_matrix(n, d, sweep.seed)
    samples = bounds[:, 0] + unit * (bounds[:, 1] - bounds[:, 0])    # also for a fixed axis
    points = [{k: float(row[j]) for j, k in enumerate(keys)} for row in samples]
    coords = {k: (("sample",), samples[:, j]) for j, k in enumerate(keys)}
    if blocks is not None:
        coords["sobol_block"] = (("sample",), blocks)
    return Design(sweep.design, keys, ("sample",), (len(points),), coords, points)


def latin_hypercube(n, d, seed):
    """``n`` points (n, d) of a Latin hypercube in [0, 1)^d: each column one point in every
    stratum [j/n, (j+1)/n), at a uniform random place within it (McKay, Beckman & Conover 1979).

    The same numbers as ``scipy.stats.qmc.LatinHypercube(d=d, seed=seed).random(n)`` (its
    default, scrambled algorithm, written out here because importing ``scipy.stats`` costs a
    sweep's client ~1.5 s before the first point goes out).
    """
    rng = np.random.default_rng(seed)
    jitter = rng.uniform(size=(n, d))
    strata = np.tile(np.arange(1, n + 1), (d, 1))
    for column in strata:
        rng.shuffle(column)
    return (strata.T - jitter) / n


def saltelli_matrix(n, d, seed):
    """Saltelli's A, AB_1 ... AB_d, B rows in [0, 1)^d from one scrambled 2d-dimensional Sobol
    sequence of ``n`` points (A its first d columns, B its last d).

    Returns (unit (n (d + 2), d), block (n (d + 2),) int8: 0 for A, i for AB_i, d + 1 for B).
    """
    from scipy.stats import qmc
    base = qmc.Sobol(d=2 * d, scramble=True, seed=seed).random(n)
    a, b = base[:, :d], base[:, d:]
    parts = [a]
    for i in range(d):
        ab = a.copy()
        ab[:, i] = b[:, i]
        parts.append(ab)
    parts.append(b)
    blocks = np.repeat(np.arange(d + 2, dtype=np.int8), n)
    return np.concatenate(parts), blocks


def point_config(base, values):
    """The base config (a Config) with one point's values set; InputError names a bad key."""
    tree = base.to_dict()
    tree.pop("sweep", None)
    for key, value in values.items():
        set_dotted(tree, key, value.item() if isinstance(value, np.generic) else value)
    return load_config(tree)


def check_points(base, design_):
    """Validate every point's config before any work (InputError names the key and value)."""
    if not isinstance(base, Config):
        raise TypeError("base must be a Config")
    for values in design_.points:
        point_config(base, values)


# ----------------------------------------------------------------------------- chunks
def chunk_shape(design_, target=TARGET_CHUNK_POINTS):
    """Points per chunk along each dim of the design: about ``n_points / 16`` (at least 1, at most
    ``target``) so that small sweeps still spread over the workers; filled from the innermost
    dim outward; one value wide along model-building keys."""
    per_chunk = int(np.clip(design_.n_points // 16, 1, target))
    shape, filled = [], 1
    for dim, size in zip(reversed(design_.dims), reversed(design_.shape)):
        if dim.startswith(MODEL_BUILDING_PREFIXES):
            shape.append(1)
            continue
        c = int(min(size, max(1, per_chunk // filled)))
        shape.append(c)
        filled *= c
    return tuple(reversed(shape))


@dataclass(frozen=True)
class Chunk:
    """One task: ``index`` (chunk number in the stored layout), ``region`` (a slice per dim) and
    the flat indices of its points (C order of the design)."""
    index: int
    region: tuple
    points: np.ndarray

    @property
    def shape(self):
        return tuple(s.stop - s.start for s in self.region)


def chunks(design_, shape=None):
    """Every :class:`Chunk` of the design, model-building dims slowest (the order to run them)."""
    shape = chunk_shape(design_) if shape is None else shape
    counts = [-(-n // c) for n, c in zip(design_.shape, shape)]
    order = sorted(range(len(design_.dims)), key=lambda j: not design_.dims[j].startswith(MODEL_BUILDING_PREFIXES))
    flat = np.arange(design_.n_points).reshape(design_.shape)
    out = []
    for permuted in itertools.product(*[range(counts[j]) for j in order]):
        block = [0] * len(order)
        for j, b in zip(order, permuted):
            block[j] = b
        region = tuple(slice(b * c, min((b + 1) * c, n)) for b, c, n in zip(block, shape, design_.shape))
        out.append(Chunk(int(np.ravel_multi_index(block, counts)), region, flat[region].ravel()))
    return out
