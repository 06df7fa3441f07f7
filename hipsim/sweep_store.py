"""The on-disk store of a sweep: a Zarr group written chunk by chunk as results arrive.

A sweep writes into ``OUT.partial`` (a Zarr v2 group that xarray opens with ``engine="zarr"``)
and only renames it to ``OUT`` once every point is in, so a store at the requested path is
always complete; a killed sweep leaves ``OUT.partial``, which ``--resume`` continues. Inside
the partial store, ``point_done`` (one int8 per point, chunked like the data) is set to 1 for a
chunk only after all its variables are written, so a chunk cut short by a kill is recomputed on
resume. Finishing removes ``point_done``, adds the sweep-wide flag counts to the attrs and, for
a NetCDF output (``OUT.nc``), converts the group into one NetCDF file written atomically.

The layout: every per-point variable of a run gains the sweep dims in front (see
:mod:`hipsim.sweep_design`); ``time`` and ``stride_time`` become per-point variables because
levers such as cadence change the cycle's timing.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import xarray as xr

from .errors import InputError

#: run attrs every point shares (per-point ones such as the stride time are variables)
SHARED_ATTRS = ("hipsim_version", "conventions", "activity", "model_source")
DONE = "point_done"
STORE_SUFFIXES = (".zarr",)
NETCDF_SUFFIXES = (".nc", ".nc4", ".netcdf")


def partial_path(output):
    """Where a sweep into ``output`` keeps its unfinished store."""
    output = Path(output)
    return output.with_name(output.name + ".partial")


def check_output(output):
    """``output`` as a Path, refused before any work if it cannot be written: unknown suffix,
    missing folder, or an existing file or folder that is not a previous result."""
    output = Path(output)
    suffix = output.suffix.lower()
    if suffix not in STORE_SUFFIXES + NETCDF_SUFFIXES:
        raise InputError(str(output), "a sweep output must end in .zarr (a Zarr store) or .nc (NetCDF)")
    if not output.parent.is_dir():
        raise InputError(str(output), f"folder {output.parent} does not exist")
    if output.exists():
        is_store = output.is_dir() and (output / ".zgroup").is_file()
        if (suffix in STORE_SUFFIXES and not is_store) or (suffix in NETCDF_SUFFIXES and output.is_dir()):
            raise InputError(str(output), "exists and is not a hipsim sweep result; move it away")
    return output


class SweepStore:
    """The partial store of one sweep.

    Parameters
    ----------
    output : the final path (``.zarr`` or ``.nc``)
    design : :class:`hipsim.sweep_design.Design`
    chunk_shape : points per chunk along each design dim
    config_yaml : the sweep's resolved config (the store's ``config`` attr; a resume must match)
    sweep_attrs : attrs describing the sweep (design, number of points)
    """

    def __init__(self, output, design, chunk_shape, config_yaml, sweep_attrs):
        self.output = Path(output)
        self.path = partial_path(output)
        self.design, self.chunk_shape = design, tuple(chunk_shape)
        self.config_yaml, self.sweep_attrs = config_yaml, dict(sweep_attrs)
        self.group = None            # the open zarr group once the store exists
        self._arrays = {}            # its arrays by name, opened once
        self._coords = None          # the store's label coordinates, read once
        self.created_here = False

    # ------------------------------------------------------------------ open / resume
    def open(self, resume):
        """Open an unfinished store to resume it (returns True), or check that none is in the
        way of a fresh sweep (returns False). InputError when the two disagree."""
        import zarr     # noqa: F401 - imported now, while the workers start, not when the first chunk is in
        if not self.path.exists():
            return False
        if not resume:
            raise InputError(str(self.path), "an unfinished sweep is here: pass --resume to continue it, "
                                             "or delete it to start again")
        try:
            group = zarr.open_group(str(self.path), mode="r+", zarr_format=2)
            stored = group.attrs.get("config")
        except Exception as exc:      # noqa: BLE001 - any unreadable store is refused the same way
            raise InputError(str(self.path), f"cannot resume: not a readable sweep store ({exc})")
        if stored != self.config_yaml or DONE not in group:
            raise InputError(str(self.path), "cannot resume: it was started with a different config "
                                             "(delete it to start again)")
        self.group = group
        return True

    def done_chunks(self, chunks):
        """Indices of the chunks whose points are all written."""
        if self.group is None:
            return set()
        done = self.group[DONE][...]
        return {c.index for c in chunks if np.all(done[c.region] == 1)}

    # ------------------------------------------------------------------ create / write
    def create(self, template):
        """Create the store from one point's Dataset (``template``: the variables of a run with
        ``time`` and ``stride_time`` as data variables); coordinates are written now, data
        variables as chunks arrive.

        xarray writes the coordinates; the data variables' metadata is written here as xarray
        would write it (what ``Dataset.to_zarr(compute=False)`` makes of dask zeros, checked
        equal in the tests) because going through dask costs the client 1-2 s while the workers
        already wait to hand in their first chunks.
        """
        import zarr
        d = self.design
        coords = {k: v for k, v in template.coords.items()}
        coords.update({k: (dims, values) for k, (dims, values) in d.coords.items()})
        layout = xr.Dataset(coords=coords)
        layout.to_zarr(str(self.path), mode="w-", zarr_format=2, consolidated=False)
        self.created_here = True
        labels = [name for name in layout.coords if name not in layout.dims]
        arrays = [(name, d.dims + var.dims, d.shape + var.shape, self.chunk_shape + var.shape, var.dtype,
                   var.attrs) for name, var in template.data_vars.items()]
        arrays.append((DONE, d.dims, d.shape, self.chunk_shape, np.dtype(np.int8), {}))
        numeric = next(name for name, var in layout.variables.items() if var.dtype.kind in "fiu")
        like = json.loads((self.path / numeric / ".zarray").read_text())
        for name, dims, shape, chunks, dtype, attrs in arrays:
            _write_array_metadata(self.path / name, like, dims, shape, chunks, dtype, attrs, labels, layout)
        root = zarr.open_group(str(self.path), mode="r+", zarr_format=2)
        root.attrs.clear()
        root.attrs.update({k: template.attrs[k] for k in SHARED_ATTRS if k in template.attrs})
        root.attrs.update({"config": self.config_yaml, **self.sweep_attrs})
        zarr.consolidate_metadata(str(self.path), zarr_format=2)
        self.group = zarr.open_group(str(self.path), mode="r+", zarr_format=2)

    def check_coords(self, template):
        """A point's labels (muscles, frames' gait phase, ...) must match the store's."""
        if self._coords is None:
            self._coords = {name: self.group[name][...] for name in template.coords if name in self.group}
        for name, coord in template.coords.items():
            if name in self._coords and not np.array_equal(self._coords[name], np.asarray(coord.values)):
                raise InputError("sweep.axes", f"the points differ in their {name!r} coordinate; "
                                               "sweep them separately")

    def write(self, chunk, values):
        """Write one chunk's arrays (name -> (n_points_in_chunk, ...)) and then mark it done."""
        for name, array in values.items():
            target = self._array(name)
            target[chunk.region] = np.asarray(array).reshape(chunk.shape + target.shape[len(chunk.shape):])
        self._array(DONE)[chunk.region] = 1

    def _array(self, name):
        if name not in self._arrays:
            self._arrays[name] = self.group[name]
        return self._arrays[name]

    # ------------------------------------------------------------------ finish
    def finish(self):
        """Check every point is in, record the sweep-wide flag counts, drop ``point_done`` and
        move the store to the output path (converting to NetCDF for ``.nc``)."""
        import zarr
        if not np.all(self.group[DONE][...] == 1):
            raise RuntimeError("finish() before every chunk was written")
        self.group.attrs.update({
            "failed_frames": int(np.count_nonzero(self.group["solver_status"][...])),
            "pressure_failed_frames": int(np.count_nonzero(self.group["contact_pressure_status"][...])),
        })
        del self.group[DONE]
        zarr.consolidate_metadata(str(self.path), zarr_format=2)
        self.group, self._arrays = None, {}
        if self.output.suffix.lower() in NETCDF_SUFFIXES:
            _zarr_to_netcdf(self.path, self.output)
            shutil.rmtree(self.path)
        else:
            _replace_dir(self.path, self.output)

    def discard(self):
        """Remove a store this sweep created (used when the sweep fails on bad input)."""
        if self.created_here and self.path.exists():
            shutil.rmtree(self.path)


def _write_array_metadata(path, like, dims, shape, chunks, dtype, attrs, labels, layout):
    """The Zarr v2 metadata of an empty data variable, as xarray writes it: ``like`` (a written
    array's ``.zarray``) gives the codec and layout; floats are NaN where never written; the
    ``coordinates`` attribute names the label coordinates (non-index) whose dims it spans."""
    dtype = np.dtype(dtype)
    if dtype.kind not in "fiub":
        raise TypeError(f"{path.name}: no store layout for dtype {dtype}")
    meta = {**like, "shape": list(shape), "chunks": list(chunks), "dtype": dtype.str,
            "fill_value": "NaN" if dtype.kind == "f" else None}
    spanned = sorted(c for c in labels if set(layout[c].dims) <= set(dims))
    attributes = {**attrs}
    if spanned:
        attributes["coordinates"] = " ".join(spanned)
    attributes["_ARRAY_DIMENSIONS"] = list(dims)
    path.mkdir()
    (path / ".zarray").write_text(json.dumps(meta, indent=2))
    (path / ".zattrs").write_text(json.dumps(attributes, indent=2, default=_json_scalar))


def _json_scalar(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot store attribute value {value!r}")


def _replace_dir(src, dst):
    """Move folder ``src`` to ``dst``, replacing a previous result there."""
    if dst.exists():
        old = dst.with_name(dst.name + ".old")
        if old.exists():
            shutil.rmtree(old)
        os.replace(dst, old)
        os.replace(src, dst)
        shutil.rmtree(old)
    else:
        os.replace(src, dst)


def _zarr_to_netcdf(store, path):
    """Stream a Zarr store into one NetCDF file (temporary name, then rename)."""
    tmp = path.with_name(path.name + ".part")
    with xr.open_zarr(str(store)) as ds:
        try:
            ds.to_netcdf(tmp, engine="netcdf4")
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()


def open_result(path):
    """Open a result lazily as an ``xarray.Dataset``: a NetCDF file (run, rom or sweep) or a
    sweep's Zarr store. InputError for a missing, unfinished or unreadable result."""
    path = Path(path)
    if not path.exists():
        partial = partial_path(path)
        hint = " (an unfinished sweep is beside it: run the sweep again with --resume)" if partial.exists() else ""
        raise InputError(str(path), f"no such result{hint}")
    try:
        if path.is_dir():
            return xr.open_zarr(str(path))
        return xr.open_dataset(path, engine="netcdf4")
    except Exception as exc:      # noqa: BLE001 - any unreadable file is refused the same way
        raise InputError(str(path), f"cannot read the result ({type(exc).__name__})")


#: a finished sweep result (``.zarr`` or ``.nc``), opened lazily
open_sweep = open_result
