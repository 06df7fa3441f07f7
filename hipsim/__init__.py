"""hipsim: mechanical loads on the hip over walking and running cycles.

Public API: :func:`load_config`, :func:`simulate`, :func:`range_of_motion`, :func:`sweep`.
"""
__version__ = "0.1.0"

from .config import load_config  # noqa: E402
from .errors import InputError  # noqa: E402


def simulate(config):
    """Run one cycle for ``config`` (a :class:`~hipsim.config.Config`, dict or YAML path);
    returns an ``xarray.Dataset`` (see ``hipsim.variables``)."""
    from .pipeline import simulate as _simulate
    return _simulate(config)


def range_of_motion(config):
    """Impingement-free range of motion of ``config``'s hip (a :class:`~hipsim.config.Config`,
    dict or YAML path; its ``morphology`` and ``rom`` sections), bone on bone in anatomical
    angles: an ``xarray.Dataset`` over ``flexion`` [deg] with the maximum internal and external
    rotation [deg], the limit's clock position [h] and a status per limit, and the maximum
    flexion and abduction (what ``hipsim rom`` writes; see :func:`hipsim.rom.range_of_motion`)."""
    from .config import Config
    from .rom import range_of_motion as _rom
    return _rom(config if isinstance(config, Config) else load_config(config))


def sweep(config, client=None, workers=None, output=None, resume=False, progress=None):
    """Run every point of ``config.sweep`` in local worker processes or on a Dask ``client``;
    returns one ``xarray.Dataset`` with a dimension per swept key, written to ``output``
    (``.zarr`` / ``.nc``) as chunks finish when given (see :func:`hipsim.sweeps.sweep`)."""
    from .sweeps import sweep as _sweep
    return _sweep(config, client=client, workers=workers, output=output, resume=resume, progress=progress)


def open_sweep(path):
    """A finished sweep result (``.zarr`` or ``.nc``), opened lazily."""
    from .sweep_store import open_sweep as _open
    return _open(path)


def sobol_indices(ds, variable="hip_contact_force_resultant", stat="max", select=None):
    """First- and total-order Sobol indices of a ``sobol`` sweep (see :mod:`hipsim.sensitivity`)."""
    from .sensitivity import sobol_indices as _indices
    return _indices(ds, variable, stat, select)


__all__ = ["load_config", "simulate", "range_of_motion", "sweep", "open_sweep", "sobol_indices", "InputError", "__version__"]
