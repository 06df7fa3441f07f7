"""Numba settings in one place, so a flag is changed once for every kernel."""
import numba

NJIT_OPTIONS = dict(cache=True, nogil=True, fastmath=False, error_model="numpy")


def njit(*args, **kwargs):
    """``numba.njit`` with hipsim's defaults (cached, GIL released, no fast-math)."""
    options = {**NJIT_OPTIONS, **kwargs}
    if args and callable(args[0]):
        return numba.njit(**options)(args[0])
    return numba.njit(*args, **options)
