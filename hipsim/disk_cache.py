"""An on-disk cache of expensive pose-independent models (the impingement distance field, ~3 s
to build, ~0.05 s to load), shared by every hipsim process of this user.

Entries are ``.npz`` files of plain arrays (loaded with ``allow_pickle=False``), named by a
SHA-256 of what built them: the caller's key (e.g. the morphology as JSON), the bytes of any
patient mesh files it names, the hipsim version and the source of the modules that build them,
so a code change never reads an old entry. Writes go to a temporary name and are renamed, so
concurrent processes (sweep workers) never see half an entry; an unreadable entry is rebuilt.
The newest :data:`MAX_ENTRIES` entries are kept.

Location: ``$HIPSIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/hipsim``, else ``~/.cache/hipsim``;
``HIPSIM_CACHE_DIR=off`` turns it off. A folder that cannot be written just means no cache.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

MAX_ENTRIES = 16            # 25-45 MB each for the atlas hip: under 1 GB
OFF = ("off", "0", "none", "false")


def cache_dir():
    """The cache folder, or None when caching is off."""
    configured = os.environ.get("HIPSIM_CACHE_DIR")
    if configured is not None:
        return None if configured.strip().lower() in OFF or not configured.strip() else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "hipsim"


def digest(key, sources=(), files=()):
    """SHA-256 hex of ``key`` (str), the hipsim version, the bytes of the ``sources`` modules'
    files and of the data ``files`` (paths; missing ones count as absent)."""
    from . import __version__
    h = hashlib.sha256()
    h.update(key.encode())
    h.update(__version__.encode())
    for module in sources:
        h.update(Path(module.__file__).read_bytes())
    for path in files:
        h.update(str(path).encode())
        try:
            h.update(Path(path).read_bytes())
        except OSError:
            h.update(b"<missing>")
    return h.hexdigest()


def cached(kind, name, build, to_arrays, from_arrays):
    """``from_arrays(arrays)`` of the cached entry ``kind/name.npz`` if it can be read, else
    ``build()``, stored for next time (best effort)."""
    folder = cache_dir()
    if folder is None:
        return build()
    path = folder / kind / f"{name}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as data:
                obj = from_arrays({k: data[k] for k in data.files})
            os.utime(path)
            return obj
        except Exception:      # noqa: BLE001 - a damaged or foreign entry is rebuilt and replaced
            pass
    obj = build()
    try:
        _store(path, to_arrays(obj))
    except OSError:
        pass
    return obj


def _store(path, arrays):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".npz.part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    entries = sorted(path.parent.glob("*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[MAX_ENTRIES:]:
        try:
            old.unlink()
        except OSError:
            pass
