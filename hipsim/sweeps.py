"""Parameter sweeps (``hipsim sweep``): run every point of a design, in local worker processes or
on a Dask cluster, into a Zarr store written as chunks finish.

Every point is a full run (:func:`hipsim.pipeline.run_pipeline`) of the base config with the
point's values set, and a pure function of that config: the numbers are identical whatever ran
them (one process, local workers, a Dask cluster) and in whatever order. The points go out in
chunks (:mod:`hipsim.sweep_design`), a few seconds of work each; a worker keeps the motion
stage, bone meshes and cartilage model of the configs it has seen (per-process caches in
:mod:`hipsim.pipeline`), so a strength change reuses the motion and meshes, and each morphology
is built once per worker. Results are written as chunks arrive (:mod:`hipsim.sweep_store`);
only a bounded number of chunks is in flight, so memory does not grow with the sweep.

The spec and every point's config are checked before any work: unknown keys, empty axes, a grid
axis with num < 1, invalid sample counts and out-of-range values are refused with the key named.
"""
from __future__ import annotations

import contextlib
import itertools
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from .config import Config, load_config
from .errors import InputError
from .sweep_design import check_points, chunk_shape, chunks, design, point_config
from .sweep_store import SweepStore, check_output, open_sweep

#: chunks in flight per worker (one running, one queued so a worker never waits for the client)
IN_FLIGHT_PER_WORKER = 2
#: times a local pool whose worker process died is replaced before the sweep gives up
MAX_POOL_RESTARTS = 3


def default_workers():
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:        # not Linux
        return os.cpu_count() or 1


# ----------------------------------------------------------------------------- one chunk
def run_points(base_tree, points):
    """Run the points of one chunk (in a worker).

    Parameters
    ----------
    base_tree : dict, the base config (``Config.to_dict()`` without the sweep section)
    points : list of {dotted key: value}

    Returns
    -------
    (values, template): values maps each variable to an array (n_points, ...) stacked over the
    points; template is the first point's Dataset (variables, labels and attrs of the layout).
    """
    import numba

    from ._memory import reuse_large_blocks
    reuse_large_blocks()                # a worker's process: new shapes reuse the last one's memory
    base = load_config(base_tree)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)            # one level of parallelism: the sweep's workers, serial kernels
    try:
        values, template = [], None
        for point in points:
            config = point_config(base, point)
            out, run = _point_values(config)
            values.append(out)
            if template is None:
                template = _template(out, config, run)
    finally:
        numba.set_num_threads(threads)
    return {k: np.stack([np.asarray(v[k]) for v in values]) for k in values[0]}, template


def _point_values(config):
    """(values, run) of one point: the run's variables plus its ``time`` and ``stride_time``."""
    from .pipeline import result_values, run_pipeline
    run = run_pipeline(config)
    out = result_values(config, run)
    out["time"] = np.asarray(run.trial.time)
    out["stride_time"] = np.float64(run.trial.stride_time)
    return out, run


def _template(values, config, run):
    """The Dataset of one point: the layout (dims, labels, attrs) of every point of the sweep."""
    from .pipeline import STATUS_VARIABLES, flag_attrs, result_coords, run_attrs
    from .variables import create_dataset
    coords = {k: v for k, v in result_coords(config, run).items() if k != "time"}
    template = create_dataset(values, coords, "", run_attrs(config, run))
    for name in STATUS_VARIABLES:
        template[name].attrs.update(flag_attrs(name))
    return template


# ----------------------------------------------------------------------------- executors
def _serial_results(tasks):
    for chunk, args in tasks:
        yield chunk, run_points(*args)


def _bounded_results(submit, wait_first, tasks, limit, restart=None):
    """Yield (chunk, result) as tasks finish, keeping at most ``limit`` submitted and unfinished.

    ``restart`` (local pools): called when a worker process died (killed, out of memory); the
    lost chunks are submitted again to the fresh pool, up to :data:`MAX_POOL_RESTARTS` times.
    """
    from concurrent.futures.process import BrokenProcessPool
    tasks = iter(tasks)
    pending, backlog = {}, []            # backlog: lost chunks to submit again first
    restarts = 0

    def recover(exc, lost):
        nonlocal submit, restarts
        if restart is None or restarts >= MAX_POOL_RESTARTS:
            raise exc
        restarts += 1
        submit = restart()
        backlog[:0] = lost
        pending.clear()

    while True:
        task = None
        try:
            while len(pending) < limit:
                task = backlog.pop(0) if backlog else next(tasks, None)
                if task is None:
                    break
                pending[submit(run_points, *task[1])] = task
        except BrokenProcessPool as exc:
            recover(exc, [task, *pending.values()])
            continue
        if not pending:
            return
        for future in wait_first(list(pending)):
            task = pending.pop(future)
            try:
                result = future.result()
            except BrokenProcessPool as exc:
                recover(exc, [task, *pending.values()])
                break
            yield task[0], result


class _LocalPool:
    """Local worker processes forked from a clean server process that preloaded hipsim (no
    threads inherited, no per-worker import cost). As with any multiprocessing pool, the workers
    import the main script as ``__mp_main__``, so a script that sweeps must do so under
    ``if __name__ == "__main__":``; a main that cannot be imported (a script piped to python)
    gets plain fork instead. A pool whose worker died is replaced by :meth:`restart`."""

    PRELOAD = ["hipsim.sweeps", "hipsim.pipeline"]

    def __init__(self, workers):
        self.context = self.start()
        self.workers = workers
        self.pool = None
        self.restart()

    @classmethod
    def start(cls):
        """The multiprocessing context of the workers, its fork server started (it imports hipsim
        in the background while this process goes on; idempotent)."""
        import multiprocessing
        methods = multiprocessing.get_all_start_methods()
        main_file = getattr(sys.modules.get("__main__"), "__file__", None)
        importable_main = main_file is None or os.path.isfile(main_file)
        method = "forkserver" if "forkserver" in methods and importable_main else (
            "fork" if "fork" in methods else "spawn")
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            from multiprocessing import forkserver
            context.set_forkserver_preload(cls.PRELOAD)
            forkserver.ensure_running()
        return context

    def restart(self):
        """A fresh pool (the old one shut down); returns its submit function."""
        from concurrent.futures import ProcessPoolExecutor
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=self.context)
        return self.pool.submit

    @staticmethod
    def wait_first(futures):
        from concurrent.futures import FIRST_COMPLETED, wait
        return wait(futures, return_when=FIRST_COMPLETED).done

    def results(self, tasks):
        return _bounded_results(self.pool.submit, self.wait_first, tasks, IN_FLIGHT_PER_WORKER * self.workers,
                                self.restart)

    def close(self):
        self.pool.shutdown(wait=True, cancel_futures=True)


def _dask_submitter(client):
    from distributed import wait
    counter = itertools.count()
    token = os.urandom(4).hex()

    def submit(fn, *args):
        return client.submit(fn, *args, pure=False, key=f"hipsim-chunk-{token}-{next(counter)}")
    return submit, lambda fs: wait(fs, return_when="FIRST_COMPLETED").done


def connect(address):
    """A ``distributed.Client`` for a scheduler address; InputError when it cannot connect."""
    from distributed import Client
    try:
        return Client(address, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError("--scheduler", f"cannot connect to {address} ({type(exc).__name__}: {exc})")


def _n_dask_workers(client):
    return max(1, len(client.scheduler_info().get("workers", {})))


# ----------------------------------------------------------------------------- the sweep
def prepare(config):
    """(config, design, chunk shape, chunks) of a sweep config, every point checked; nothing run yet."""
    if not isinstance(config, Config):
        config = load_config(config)
    d = design(config.sweep)
    if config.cartilage.pressure_map and any(k.startswith("morphology.") for k in d.keys):
        raise InputError("cartilage.pressure_map", "per-element maps cannot be stacked over a morphology "
                                                   "sweep (the elements change); sweep without it")
    check_points(config, d)
    shape = chunk_shape(d)
    return config, d, shape, chunks(d, shape)


def sweep(config, client=None, workers=None, output=None, resume=False, progress=None):
    """Run every point of ``config.sweep``.

    Parameters
    ----------
    config : Config, dict or YAML path with a ``sweep`` section
    client : a ``distributed.Client`` (or a scheduler address) to run the chunks on a Dask
        cluster; None runs them in local worker processes
    workers : local worker processes (None: every core; 1: in this process); ignored with a client
    output : ``.zarr`` or ``.nc`` path to write (None: an in-memory Dataset is returned)
    resume : continue the unfinished sweep of ``output`` (``OUT.partial``) instead of refusing it
    progress : show a progress bar (None: only on a terminal)

    Returns
    -------
    xarray.Dataset: in memory without ``output``; opened lazily from ``output`` otherwise.
    """
    if client is None and (workers is None or (isinstance(workers, int) and workers > 1)):
        _LocalPool.start()          # the workers' fork server imports hipsim while the points are checked
    prepared = prepare(config)
    if output is None:
        with tempfile.TemporaryDirectory(prefix="hipsim-sweep-") as tmp:
            with _run(prepared, client, workers, Path(tmp) / "sweep.zarr", False, progress) as ds:
                return ds.load()
    return _run(prepared, client, workers, check_output(output), resume, progress)


def _run(prepared, client, workers, output, resume, progress):
    """The sweep of :func:`prepare`'s output into ``output``; returns the store opened lazily."""
    config, d, shape, todo = prepared
    if resume and _already_finished(output, config):
        return open_sweep(output)
    base_tree = config.to_dict()
    base_tree.pop("sweep")
    attrs = {"sweep_design": d.design, "sweep_points": d.n_points, "sweep_keys": " ".join(d.keys)}
    store = SweepStore(output, d, shape, config.to_yaml(), attrs)
    resumed = store.open(resume)
    done = store.done_chunks(todo)
    tasks = [(c, (base_tree, [d.points[i] for i in c.points])) for c in todo if c.index not in done]
    from tqdm.auto import tqdm
    bar = tqdm(total=d.n_points, initial=d.n_points - sum(len(c.points) for c, _ in tasks), unit="point",
               disable=None if progress is None else not progress, file=sys.stderr, smoothing=0.05,
               desc="sweep")
    try:
        with _executor(client, workers, len(tasks)) as results:
            for chunk, (values, template) in results(tasks):
                if store.group is None:
                    store.create(template)
                store.check_coords(template)
                store.write(chunk, values)
                bar.update(len(chunk.points))
        store.finish()
    except InputError:
        if not resumed:
            store.discard()
        raise
    finally:
        bar.close()
    return open_sweep(output)


def _already_finished(output, config):
    """True when ``output`` is a finished sweep of this very config and nothing is pending."""
    from .sweep_store import partial_path
    if partial_path(output).exists() or not output.exists():
        return False
    with open_sweep(output) as ds:
        return ds.attrs.get("config") == config.to_yaml()


@contextlib.contextmanager
def _executor(client, workers, n_tasks):
    """A function tasks -> iterator of (chunk, result), on a Dask client, local processes or here."""
    if client is not None:
        own = isinstance(client, str)
        client = connect(client) if own else client
        try:
            submit, wait_first = _dask_submitter(client)
            limit = IN_FLIGHT_PER_WORKER * _n_dask_workers(client)
            with client.as_current():       # distributed.wait looks the client up
                yield lambda tasks: _bounded_results(submit, wait_first, tasks, limit)
        finally:
            if own:
                client.close()
        return
    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise InputError("--workers", f"must be at least 1, got {workers}")
    workers = min(workers, max(n_tasks, 1))
    if workers == 1:
        yield _serial_results
        return
    pool = _LocalPool(workers)
    try:
        yield pool.results
    finally:
        pool.close()


__all__ = ["sweep", "prepare", "run_points", "connect", "open_sweep", "default_workers"]
