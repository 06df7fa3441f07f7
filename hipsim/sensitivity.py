"""First- and total-order Sobol sensitivity indices of a sweep output (``hipsim sensitivity``).

A ``sobol`` sweep (:mod:`hipsim.sweep_design`) holds Saltelli's matrices A, B and AB_i. For an
output y reduced to one number per point (e.g. the peak hip contact force of the cycle):

* V = Var(y over A and B together);
* first order S_i = mean(y_B (y_ABi - y_A)) / V (Saltelli et al. 2010, Comput. Phys. Commun.
  181:259, Table 2 (b)), with y centred on its mean first (same expectation, smaller variance);
* total order ST_i = mean((y_A - y_ABi)^2) / (2 V) (Jansen 1999, Table 2 (f) of the same).

Confidence half-widths are 1.96 standard deviations of the estimates over bootstrap resamples of
the N base rows (as SALib reports them). Checked against the Ishigami function's closed form in
the tests.
"""
from __future__ import annotations

import numpy as np
import xarray as xr

from .errors import InputError

STATS = ("max", "min", "mean")


def estimate_indices(y_a, y_b, y_ab):
    """Sobol indices from Saltelli's samples.

    Parameters
    ----------
    y_a, y_b : (N,) outputs at the rows of A and B
    y_ab : (k, N) outputs at the rows of AB_i

    Returns
    -------
    (first_order (k,), total_order (k,))
    """
    y_a, y_b, y_ab = np.asarray(y_a, float), np.asarray(y_b, float), np.asarray(y_ab, float)
    both = np.concatenate([y_a, y_b])
    variance = np.var(both)
    # centred: the estimators' expectations do not change, their variance does not carry the
    # output's mean (a 9-BW peak force would otherwise swamp a 0.1-BW effect)
    mean = both.mean()
    y_a, y_b, y_ab = y_a - mean, y_b - mean, y_ab - mean
    if not variance > 0:
        return np.full(len(y_ab), np.nan), np.full(len(y_ab), np.nan)
    first = np.mean(y_b * (y_ab - y_a), axis=1) / variance
    total = 0.5 * np.mean((y_a - y_ab) ** 2, axis=1) / variance
    return first, total


def bootstrap_indices(y_a, y_b, y_ab, n_bootstrap=500, seed=0):
    """(first, total, first_conf, total_conf): the estimates and their 95 % half-widths."""
    first, total = estimate_indices(y_a, y_b, y_ab)
    rng = np.random.default_rng(seed)
    n = len(y_a)
    draws = [estimate_indices(y_a[r], y_b[r], y_ab[:, r]) for r in rng.integers(0, n, size=(n_bootstrap, n))]
    spread = 1.96 * np.std(np.array(draws), axis=0)
    return first, total, spread[0], spread[1]


def scalar_output(ds, variable, stat="max", select=None):
    """One number per sweep point: ``ds[variable]`` at the ``select`` labels (dim -> label),
    reduced over the cycle's frames by ``stat``; dims left: the sweep's point dims (``sample``
    or the swept keys of a grid). InputError names what does not fit."""
    if variable not in ds.data_vars:
        raise InputError("--variable", f"{variable!r} is not in the sweep result")
    out = ds[variable]
    for dim, label in (select or {}).items():
        if dim not in out.dims:
            raise InputError("--select", f"{variable} has no dimension {dim!r} (it has {', '.join(out.dims)})")
        try:
            out = out.sel({dim: _typed_label(out[dim], label)})
        except KeyError:
            raise InputError("--select", f"{label!r} is not a {dim} of {variable}")
    if "frame" in out.dims:
        if stat not in STATS:
            raise InputError("--stat", f"must be one of {', '.join(STATS)}, got {stat!r}")
        out = getattr(out, stat)("frame")
    point_dims = {"sample", *ds.attrs.get("sweep_keys", "").split()}
    extra = [dim for dim in out.dims if dim not in point_dims]
    if extra:
        raise InputError("--select", f"{variable} still has dims {', '.join(extra)}; pick one label of each "
                                     f"with --select DIM=LABEL")
    return out


def _typed_label(coord, label):
    if np.issubdtype(coord.dtype, np.number) and isinstance(label, str):
        return type(coord.values.flat[0].item())(label)
    return label


def sobol_indices(ds, variable="hip_contact_force_resultant", stat="max", select=None, n_bootstrap=500, seed=0):
    """First- and total-order Sobol indices of one output of a ``sobol`` sweep.

    Returns
    -------
    xarray.Dataset over ``key`` (the swept keys): first_order, total_order, first_order_conf,
    total_order_conf; attrs name the output and the number of base samples.
    """
    if "sobol_block" not in ds.coords:
        raise InputError("sweep.design", "Sobol indices need a sweep made with design: sobol")
    y = scalar_output(ds, variable, stat, select).values.astype(float)
    if not np.all(np.isfinite(y)):
        raise InputError("--variable", f"{variable} is not finite at every point (NaN or infinity)")
    blocks = ds["sobol_block"].values
    keys = ds.attrs["sweep_keys"].split()
    k = len(keys)
    y_a, y_b = y[blocks == 0], y[blocks == k + 1]
    y_ab = np.stack([y[blocks == i + 1] for i in range(k)])
    first, total, first_conf, total_conf = bootstrap_indices(y_a, y_b, y_ab, n_bootstrap, seed)
    what = variable + "".join(f"[{d}={v}]" for d, v in (select or {}).items())
    if "frame" in ds[variable].dims:
        what = f"{stat} over the cycle of {what}"
    return xr.Dataset(
        {"first_order": ("key", first, {"long_name": "first-order Sobol index"}),
         "total_order": ("key", total, {"long_name": "total-order Sobol index"}),
         "first_order_conf": ("key", first_conf, {"long_name": "95 % bootstrap half-width of first_order"}),
         "total_order_conf": ("key", total_conf, {"long_name": "95 % bootstrap half-width of total_order"})},
        coords={"key": keys},
        attrs={"output": what, "base_samples": len(y_a), "variance": float(np.var(np.concatenate([y_a, y_b]))),
               "method": "Saltelli 2010 first order, Jansen 1999 total order, bootstrap 95 % half-widths"})


def ishigami(x, a=7.0, b=0.1):
    """The Ishigami function (Ishigami & Homma 1990), the usual check of Sobol estimators:
    y = sin x1 + a sin^2 x2 + b x3^4 sin x1 for x (n, 3) uniform on [-pi, pi]^3."""
    x = np.asarray(x, float)
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a=7.0, b=0.1):
    """Closed-form (first_order (3,), total_order (3,)) of :func:`ishigami` (Sobol' & Levitan 1999):
    V1 = (1 + b pi^4 / 5)^2 / 2, V2 = a^2 / 8, V13 = b^2 pi^8 (1/18 - 1/50)."""
    v1 = 0.5 * (1 + b * np.pi ** 4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * np.pi ** 8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def ishigami_sweep(samples, seed=0):
    """A ``sobol`` sweep Dataset of :func:`ishigami` over keys x1, x2, x3 (output ``y``), made by
    the same design code as a real sweep."""
    from .config import load_config
    from .sweep_design import design
    keys = ("x1", "x2", "x3")
    section = load_config({"sweep": {"design": "sobol", "samples": samples, "seed": seed,
                                     "axes": {k: [-np.pi, np.pi] for k in keys}}}).sweep
    d = design(section)
    x = np.column_stack([d.coords[k][1] for k in keys])
    return xr.Dataset({"y": ("sample", ishigami(x))}, coords=dict(d.coords), attrs={"sweep_keys": " ".join(keys)})


def indices_table(indices):
    """A text table of :func:`sobol_indices`."""
    lines = [f"Sobol indices of {indices.attrs['output']} (N = {indices.attrs['base_samples']} base samples)",
             f"{'swept key':40s} {'first order':>16s} {'total order':>16s}"]
    for key, s1, c1, st, ct in zip(indices["key"].values, indices["first_order"].values,
                                   indices["first_order_conf"].values, indices["total_order"].values,
                                   indices["total_order_conf"].values):
        lines.append(f"{key:40s} {s1:8.3f} ± {c1:5.3f} {st:8.3f} ± {ct:5.3f}")
    return "\n".join(lines)
