"""Numba settings in one place, so a flag is changed once for every kernel.

Compiled kernels are cached in the user's cache folder (``<hipsim cache>/numba``, see
:mod:`hipsim.disk_cache`), not beside the source, which may be read-only; ``NUMBA_CACHE_DIR``
set by the user wins. Child processes (sweep workers) inherit the setting through the
environment.
"""
import os

from .disk_cache import cache_dir


def kernel_cache_dir():
    """Where numba caches hipsim's compiled kernels (None: numba's default, beside the source)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return os.environ["NUMBA_CACHE_DIR"]
    base = cache_dir()
    return None if base is None else str(base / "numba")


def kernels_cached():
    """Whether compiled kernels of hipsim are in the cache (a first run compiles for a minute or
    two; the command line says so)."""
    folder = kernel_cache_dir()
    if folder is None or not os.path.isdir(folder):
        return False
    for _, _, files in os.walk(folder):
        if any(f.startswith("static_opt.") and f.endswith(".nbi") for f in files):
            return True
    return False


_folder = kernel_cache_dir()
if _folder is not None:
    os.environ["NUMBA_CACHE_DIR"] = _folder

import numba  # noqa: E402  (after NUMBA_CACHE_DIR is set)

if _folder is not None:
    numba.config.CACHE_DIR = _folder      # numba already imported elsewhere reads it from here

NJIT_OPTIONS = dict(cache=True, nogil=True, fastmath=False, error_model="numpy")


def njit(*args, **kwargs):
    """``numba.njit`` with hipsim's defaults (cached, GIL released, no fast-math)."""
    options = {**NJIT_OPTIONS, **kwargs}
    if args and callable(args[0]):
        return numba.njit(**options)(args[0])
    return numba.njit(*args, **options)
