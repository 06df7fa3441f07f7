"""hipsim: mechanical loads on the hip over walking and running cycles.

Public API: :func:`load_config`, :func:`simulate`.
"""
__version__ = "0.1.0"

from .config import load_config  # noqa: E402
from .errors import InputError  # noqa: E402


def simulate(config):
    """Run one cycle for ``config`` (a :class:`~hipsim.config.Config`, dict or YAML path);
    returns an ``xarray.Dataset`` (see ``hipsim.variables``)."""
    from .simulate import simulate as _simulate
    return _simulate(config)


__all__ = ["load_config", "simulate", "InputError", "__version__"]
