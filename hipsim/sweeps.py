"""Parameter sweeps (``hipsim sweep``): designs, points, and local parallel execution.

Designs (``sweep.design``), over the axes of ``sweep.axes`` (dotted config key -> list of values
or ``{start, stop, num}``):

* ``grid``: every combination; one Dataset dimension per swept key, named by the key, with the
  values as its coordinate.
* ``lhs`` / ``sobol``: ``sweep.samples`` points of a Latin hypercube or a scrambled Sobol
  sequence (``scipy.stats.qmc``, seeded by ``sweep.seed``) over each axis's [min, max]; one
  ``sample`` dimension, one coordinate per swept key. Sobol needs a power-of-two sample count.

Every point is a full run (:func:`hipsim.pipeline.simulate`) of the base config with the point's
values set. Points run in local worker processes (``workers``; all cores by default) and the
results are identical whatever the number of workers: each point is a pure function of its
config. The per-frame ``time`` coordinate becomes a data variable (levers such as cadence change
the cycle's duration). The spec is checked before any work: unknown keys, empty axes, a grid
axis with num < 1 and invalid sample counts are refused with the key named.
"""
from __future__ import annotations

import itertools
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import xarray as xr

from .config import Config, Range, load_config, set_dotted
from .errors import InputError


#: run attributes that every point shares (per-point ones such as the stride time are variables
#: of the points or left out)
SHARED_ATTRS = ("hipsim_version", "conventions", "activity", "model_source")


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


def design(sweep):
    """(dims, coords, points) of a sweep section.

    dims : tuple of dimension names; coords : dict name -> (dims, values); points : list of
    (index tuple into dims, {dotted key: value}).
    """
    axes = dict(sweep.axes)
    if not axes:
        raise InputError("sweep.axes", "a sweep needs at least one axis")
    keys = list(axes)
    if sweep.design == "grid":
        values = [axis_values(k, axes[k]) for k in keys]
        points = [(idx, {k: v[i] for k, v, i in zip(keys, values, idx)})
                  for idx in itertools.product(*[range(len(v)) for v in values])]
        return tuple(keys), {k: ((k,), np.asarray(v)) for k, v in zip(keys, values)}, points
    from scipy.stats import qmc
    n = sweep.samples
    if n is None:
        raise InputError("sweep.samples", f"the {sweep.design} design needs a sample count")
    if sweep.design == "sobol" and n & (n - 1):
        raise InputError("sweep.samples", f"a Sobol design needs a power of two, got {n}")
    bounds = np.array([_axis_bounds(k, axes[k]) for k in keys])
    engine = (qmc.LatinHypercube(d=len(keys), seed=sweep.seed) if sweep.design == "lhs"
              else qmc.Sobol(d=len(keys), scramble=True, seed=sweep.seed))
    unit = engine.random(n)
    samples = bounds[:, 0] + unit * (bounds[:, 1] - bounds[:, 0])    # also for a fixed axis
    points = [((i,), {k: float(samples[i, j]) for j, k in enumerate(keys)}) for i in range(n)]
    return ("sample",), {k: (("sample",), samples[:, j]) for j, k in enumerate(keys)}, points


def point_config(base, values):
    """The base config (a Config) with one point's values set; InputError names a bad key."""
    tree = base.to_dict()
    tree.pop("sweep", None)
    for key, value in values.items():
        set_dotted(tree, key, value.item() if isinstance(value, np.generic) else value)
    return load_config(tree)


def _run_point(config_yaml):
    from .pipeline import simulate
    import yaml
    ds = simulate(load_config(yaml.safe_load(config_yaml)))
    return ds.reset_coords("time")


def sweep(config, workers=None):
    """Run every point of ``config.sweep``; returns the combined Dataset (see the module docstring).

    Parameters
    ----------
    config : hipsim.config.Config (or anything ``load_config`` takes)
    workers : int or None, local worker processes (None: all cores; 1: in this process)
    """
    if not isinstance(config, Config):
        config = load_config(config)
    dims, coords, points = design(config.sweep)
    configs = [point_config(config, values) for _, values in points]      # checks every key first
    texts = [c.to_yaml() for c in configs]
    workers = (os.cpu_count() or 1) if workers is None else int(workers)
    if workers < 1:
        raise InputError("--workers", f"must be at least 1, got {workers}")
    if workers == 1 or len(texts) == 1:
        results = [_run_point(t) for t in texts]
    else:
        with ProcessPoolExecutor(max_workers=min(workers, len(texts))) as pool:
            results = list(pool.map(_run_point, texts, chunksize=max(1, len(texts) // (4 * workers))))
    return _combine(results, dims, coords, points, config)


def _combine(results, dims, coords, points, config):
    shape = tuple(np.max([idx for idx, _ in points], axis=0) + 1)
    template = results[0]
    data = {}
    for name, var in template.data_vars.items():
        array = np.empty(shape + var.shape, dtype=var.dtype)
        for (idx, _), ds in zip(points, results):
            array[idx] = ds[name].values
        data[name] = (dims + var.dims, array, var.attrs)
    out_coords = {k: v for k, v in template.coords.items() if k not in ("time",)}
    out_coords.update({k: (d, v) for k, (d, v) in coords.items()})
    ds = xr.Dataset(data, coords=out_coords)
    ds.attrs.update({k: template.attrs[k] for k in SHARED_ATTRS if k in template.attrs})
    ds.attrs.update({"config": config.to_yaml(), "sweep_design": config.sweep.design,
                     "sweep_points": len(points),
                     "failed_frames": int(sum(int(r.attrs.get("failed_frames", 0)) for r in results))})
    return ds
