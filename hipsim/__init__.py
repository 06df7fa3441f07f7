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


def range_of_motion(config=None, **overrides):
    """Impingement-free range of motion of a hip, bone on bone, in anatomical angles.

    Parameters
    ----------
    config : str, Path, dict, Config or None
        Its ``morphology`` (the hip's shape or a patient's meshes) and ``rom`` (the flexion
        grid, the adducted position, the tolerance) sections count.
    **overrides
        Sections merged on top, as for :func:`simulate`.

    Returns
    -------
    xarray.Dataset
        Over ``flexion`` [deg]: ``max_internal_rotation`` and ``max_external_rotation`` [deg],
        ``max_internal_rotation_adducted`` (the FADIR position), ``limit_clock`` [clock_hour]
        where the contact ends internal rotation, each with a ``*_status`` (0 contact, 1 none
        within the search, 2 overlapping at the start; values NaN unless 0); scalars
        ``max_flexion`` and ``max_abduction`` [deg]. What ``hipsim rom`` writes
        (:func:`hipsim.rom.range_of_motion`).

    Examples
    --------
    >>> rom = hipsim.range_of_motion({"morphology": {"alpha_angle_deg": 78.0}})
    >>> float(rom.max_internal_rotation.sel(flexion=90.0))      # deg; less than a normal hip's
    """
    from .rom import range_of_motion as _rom
    return _rom(load_config(config, overrides=overrides or None))


def sweep(config, client=None, workers=None, output=None, resume=False, progress=None):
    """Run every point of a config's ``sweep`` section.

    Parameters
    ----------
    config : str, Path, dict or Config
        ``sweep.design`` (grid, lhs or sobol), ``sweep.axes`` (dotted config keys -> values or
        ``{start, stop, num}``), ``sweep.samples`` and ``sweep.seed``; the rest is every point's
        base config.
    client : dask.distributed.Client, optional
        Run on this cluster; default: ``workers`` local processes.
    workers : int, optional
        Local worker processes (default: the machine's cores).
    output : str or Path, optional
        ``.zarr`` or ``.nc``, written chunk by chunk as points finish (``.partial`` until done).
    resume : bool
        Continue an interrupted ``output`` with the same config.
    progress : callable, optional
        Called with (points done, points in all).

    Returns
    -------
    xarray.Dataset
        A run's variables with one more dimension per swept key (grid) or a ``sample`` dimension
        (lhs, sobol), the point's ``time`` and ``stride_time``; attrs ``sweep_keys``, the config.

    Examples
    --------
    >>> ds = hipsim.sweep({"sweep": {"axes": {"strength.gluteus_medius": [0.6, 0.8, 1.0]}}}, workers=2)
    >>> ds.hip_contact_force_resultant.max("frame")              # BW per glut med strength
    """
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
    """A finished sweep result (``.zarr`` or ``.nc``), opened lazily (an ``xarray.Dataset`` as
    :func:`sweep` returns it); InputError for a missing, unfinished or unreadable result."""
    from .sweep_store import open_sweep as _open
    return _open(path)


def sobol_indices(ds, variable="hip_contact_force_resultant", stat="max", select=None):
    """First- and total-order Sobol indices of one output of a ``sobol`` sweep.

    Parameters
    ----------
    ds : xarray.Dataset
        A sweep made with ``sweep.design: sobol``.
    variable : str
        A result variable; reduced over the cycle by ``stat`` when it has a ``frame`` dimension.
    stat : {"max", "min", "mean"}
    select : dict, optional
        Labels of its other dimensions, e.g. ``{"axis": "superior"}``.

    Returns
    -------
    xarray.Dataset
        Over ``key`` (the swept keys): ``first_order``, ``total_order`` and their 95 % bootstrap
        half-widths ``first_order_conf``, ``total_order_conf`` (Saltelli 2010, Jansen 1999);
        attrs name the output and the number of base samples.

    Examples
    --------
    >>> idx = hipsim.sobol_indices(hipsim.open_sweep("sobol.zarr"), "trochanteric_compression")
    >>> idx.total_order.to_series().sort_values()
    """
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
