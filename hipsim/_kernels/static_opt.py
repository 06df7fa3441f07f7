"""Static optimization by a projected Newton method (numba).

Per frame: minimize  J(a) = sum_i a_i^p + sum_k (r_k / r0)^2,   r = b - A a,   0 <= a <= 1,
i.e. the sum of activations to the power p (Crowninshield & Brand 1981,
doi:10.1016/0021-9290(81)90035-X) with reserve actuators of optimal moment r0 taking whatever
moment the muscles cannot supply. Eliminating the reserves leaves a bound-constrained convex
problem, solved by Bertsekas' projected Newton method (SIAM J Control Optim 20:221, 1982,
doi:10.1137/0320018). The Newton system on the free variables,
(D + c A_F^T A_F) d = -g with diagonal D and c = 2 / r0^2, is solved through the
Sherman-Morrison-Woodbury identity, so each step costs a (n_dof x n_dof) Cholesky factorization.
"""
import math

import numpy as np

from .._numba import njit

STATUS_OK = 0
STATUS_RESERVE = 1        # muscles could not supply the moments; reserves above the flag level
STATUS_MAX_ITER = 2       # not converged within the iteration limit
STATUS_INVALID = 3        # non-finite input (moments or capacities)


@njit
def _objective(a, A, b, p, c_half):
    total = 0.0
    for i in range(a.shape[0]):
        total += a[i] ** p
    for k in range(b.shape[0]):
        r = b[k]
        for i in range(a.shape[0]):
            r -= A[k, i] * a[i]
        total += c_half * r * r
    return total


@njit
def _cholesky_solve(S, rhs, work):
    """Solve S x = rhs in place for a small symmetric positive definite S (overwrites S, rhs)."""
    m = S.shape[0]
    for j in range(m):
        s = S[j, j]
        for k in range(j):
            s -= S[j, k] * S[j, k]
        if s <= 0.0:
            s = 1e-300
        S[j, j] = math.sqrt(s)
        for i in range(j + 1, m):
            s = S[i, j]
            for k in range(j):
                s -= S[i, k] * S[j, k]
            S[i, j] = s / S[j, j]
    for i in range(m):
        s = rhs[i]
        for k in range(i):
            s -= S[i, k] * work[k]
        work[i] = s / S[i, i]
    for i in range(m - 1, -1, -1):
        s = work[i]
        for k in range(i + 1, m):
            s -= S[k, i] * rhs[k]
        rhs[i] = s / S[i, i]


@njit
def solve_frame(A, b, p, r0, a, max_iter, tol):
    """Solve one frame in place, starting from ``a`` (warm start).

    Parameters
    ----------
    A : (n_dof, n_muscle) float
        Moment produced per unit activation [N m].
    b : (n_dof,) float
        Moments the activations must supply (net moment minus passive) [N m].
    p : float
        Activation exponent (>= 2).
    r0 : float
        Reserve optimal moment [N m].
    a : (n_muscle,) float, in/out
        Activations.

    Returns
    -------
    (status, iterations) : (int, int)
    """
    n = a.shape[0]
    m = b.shape[0]
    for k in range(m):
        if not math.isfinite(b[k]):
            return STATUS_INVALID, 0
        for i in range(n):
            if not math.isfinite(A[k, i]):
                return STATUS_INVALID, 0
    c = 2.0 / (r0 * r0)
    c_half = 0.5 * c
    g = np.empty(n)
    d = np.zeros(n)
    dinv = np.empty(n)
    free = np.empty(n, dtype=np.bool_)
    r = np.empty(m)
    S = np.empty((m, m))
    y = np.empty(m)
    work = np.empty(m)
    trial = np.empty(n)
    for i in range(n):
        a[i] = min(max(a[i], 0.0), 1.0)
    f_now = _objective(a, A, b, p, c_half)
    for it in range(max_iter):
        for k in range(m):
            s = b[k]
            for i in range(n):
                s -= A[k, i] * a[i]
            r[k] = s
        pg_max = 0.0
        for i in range(n):
            s = 0.0
            for k in range(m):
                s += A[k, i] * r[k]
            g[i] = p * a[i] ** (p - 1.0) - c * s
            step = a[i] - min(max(a[i] - g[i], 0.0), 1.0)
            pg_max = max(pg_max, abs(step))
            free[i] = not ((a[i] <= 0.0 and g[i] > 0.0) or (a[i] >= 1.0 and g[i] < 0.0))
        if pg_max <= tol:
            return STATUS_OK, it
        # Newton direction on the free set: (D + c A_F^T A_F) d_F = -g_F via Woodbury.
        for i in range(n):
            hd = p * (p - 1.0) * a[i] ** (p - 2.0) if p != 2.0 else 2.0
            dinv[i] = 1.0 / max(hd, 1e-9) if free[i] else 0.0
        for k in range(m):
            s = 0.0
            for i in range(n):
                s += A[k, i] * dinv[i] * g[i]
            y[k] = s
            for l in range(k + 1):
                s = 0.0
                for i in range(n):
                    s += A[k, i] * dinv[i] * A[l, i]
                S[k, l] = s
                S[l, k] = s
            S[k, k] += 1.0 / c
        _cholesky_solve(S, y, work)
        for i in range(n):
            if free[i]:
                s = 0.0
                for k in range(m):
                    s += A[k, i] * y[k]
                d[i] = -dinv[i] * (g[i] - s)
            else:
                d[i] = 0.0
        # Armijo search along the projection arc.
        t = 1.0
        accepted = False
        for _ in range(60):
            decrease = 0.0
            for i in range(n):
                trial[i] = min(max(a[i] + t * d[i], 0.0), 1.0)
                decrease += g[i] * (trial[i] - a[i])
            f_trial = _objective(trial, A, b, p, c_half)
            if f_trial <= f_now + 1e-4 * decrease + 1e-15 * abs(f_now):
                accepted = True
                break
            t *= 0.5
        if not accepted:
            return STATUS_OK if pg_max <= 1e3 * tol else STATUS_MAX_ITER, it
        for i in range(n):
            a[i] = trial[i]
        f_now = f_trial
    return STATUS_MAX_ITER, max_iter


@njit
def solve_frames(A, b, p, r0, reserve_flag, max_iter, tol, activation, reserve, status, iterations):
    """Solve every frame, warm-starting each from the previous solution.

    Parameters
    ----------
    A : (n_frame, n_dof, n_muscle) float [N m per unit activation]
    b : (n_frame, n_dof) float [N m]
    activation : (n_frame, n_muscle) float, out (row 0 on input is the first warm start)
    reserve : (n_frame, n_dof) float, out [N m]
    status, iterations : (n_frame,) int, out
    """
    n_frame = A.shape[0]
    guess = activation[0].copy()
    for f in range(n_frame):
        a = guess.copy()
        st, its = solve_frame(A[f], b[f], p, r0, a, max_iter, tol)
        for k in range(b.shape[1]):
            s = b[f, k]
            for i in range(a.shape[0]):
                s -= A[f, k, i] * a[i]
            reserve[f, k] = s
            if st == STATUS_OK and abs(s) > reserve_flag:
                st = STATUS_RESERVE
        activation[f] = a
        status[f] = st
        iterations[f] = its
        if st != STATUS_INVALID:
            guess = a
