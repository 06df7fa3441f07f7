"""hipsim: mechanical loads on the hip over walking and running cycles.

Public API: :func:`load_config`, :func:`simulate`, :func:`range_of_motion`, :func:`sweep`.
"""
__version__ = "0.1.0"

from .config import load_config  # noqa: E402
from .errors import InputError  # noqa: E402


def simulate(config=None, **overrides):
    """Run one cycle of an activity and return its loads.

    Parameters
    ----------
    config : str, Path, dict, Config or None
        A YAML file, a dict (nested sections or dotted keys), a :class:`~hipsim.config.Config`,
        or None for the defaults (running at 3.5 m/s).
    **overrides
        Sections to merge on top, e.g. ``strength={"gluteus_medius": 0.6}``; a dotted key can be
        passed through a dict: ``simulate(cfg, **{"strength.gluteus_medius": 0.6})``.

    Returns
    -------
    xarray.Dataset
        Over ``frame`` (with ``gait_phase`` [%] and ``time`` [s]): ``hip_contact_force``
        (frame, axis) [BW] in pelvis axes and its ``hip_contact_force_resultant``, ``hip_moment``
        (frame, dof) [N m/kg], ``muscle_force`` (frame, muscle) [N], ``muscle_activation``,
        ``reserve_moment`` [N m] and ``solver_status`` (non-zero: the frame is flagged),
        ``grf`` [BW], ``impingement_clearance`` [mm], ``contact_pressure_peak`` [MPa] and the
        tissue loads; the full list with units is ``hipsim.variables.VARIABLES``. ``attrs``
        hold the config as YAML, the trial's source and the hip's measured shape.

    Raises
    ------
    InputError
        A bad key, value or file, named in the message.

    Examples
    --------
    >>> import hipsim
    >>> ds = hipsim.simulate({"activity": {"kind": "running", "speed_m_s": 3.5}},
    ...                      strength={"gluteus_medius": 0.6})
    >>> peak = float(ds.hip_contact_force_resultant.max())       # body weights
    """
    from .pipeline import simulate as _simulate
    return _simulate(load_config(config, overrides=overrides) if overrides else config)


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


def open_result(path):
    """A result file (a run's or rom's NetCDF, a sweep's ``.zarr`` or ``.nc``), opened lazily, with
    ``muscle_group`` indexed again so that ``ds.sel(muscle_group="gluteus_medius")`` works as on
    a fresh :func:`simulate` result. InputError for a missing or unreadable file."""
    from .sweep_store import open_result as _open
    ds = _open(path)
    return ds.set_xindex("muscle_group") if "muscle_group" in ds.coords and "muscle" in ds.dims else ds


def valid(result):
    """The result with solver-flagged frames masked (NaN) where the value rests on the failed
    solve (see :func:`hipsim.variables.valid`): ``valid(ds).hip_contact_force_resultant.max()``
    is the peak over frames the muscles could hold."""
    from .variables import valid as _valid
    return _valid(result)


def open_sweep(path):
    """A finished sweep result (``.zarr`` or ``.nc``), opened lazily."""
    from .sweep_store import open_sweep as _open
    return _open(path)


def sobol_indices(ds, variable="hip_contact_force_resultant", stat="max", select=None):
    """First- and total-order Sobol indices of a ``sobol`` sweep (see :mod:`hipsim.sensitivity`)."""
    from .sensitivity import sobol_indices as _indices
    return _indices(ds, variable, stat, select)


def __getattr__(name):
    """Submodules on first use (``hipsim.rom``, ``hipsim.variables``, ...): importing hipsim stays
    light for the command line."""
    import importlib
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'hipsim' has no attribute {name!r}")


_SUBMODULES = ("rom", "variables", "units", "sensitivity", "plots", "pipeline", "config", "gait", "model",
               "muscles", "measure", "sweeps", "sweep_design", "anatomy", "bones")

__all__ = ["load_config", "simulate", "range_of_motion", "sweep", "open_sweep", "open_result", "valid", "sobol_indices", "InputError", "__version__"]
