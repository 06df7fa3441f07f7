"""hipsim: mechanical loads on the hip over walking and running cycles.

Public API: :func:`load_config`, :func:`simulate`, :func:`sweep`.
"""
__version__ = "0.1.0"

from .config import load_config  # noqa: E402
from .errors import InputError  # noqa: E402


def simulate(config):
    """Run one cycle for ``config`` (a :class:`~hipsim.config.Config`, dict or YAML path);
    returns an ``xarray.Dataset`` (see ``hipsim.variables``)."""
    from .pipeline import simulate as _simulate
    return _simulate(config)


def sweep(config, workers=None):
    """Run every point of ``config.sweep`` (local worker processes); returns one
    ``xarray.Dataset`` with a dimension per swept key (see :mod:`hipsim.sweeps`)."""
    from .sweeps import sweep as _sweep
    return _sweep(config, workers=workers)


__all__ = ["load_config", "simulate", "sweep", "InputError", "__version__"]
