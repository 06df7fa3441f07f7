"""Static optimization by a projected Newton method (numba).

Per frame: minimize  J(a) = sum_i a_i^p + sum_k (r_k / r0)^2,   r = b - A a,   lo <= a <= 1,
i.e. the sum of activations to the power p (Crowninshield & Brand 1981,
doi:10.1016/0021-9290(81)90035-X) with reserve actuators of optimal moment r0 taking whatever
moment the muscles cannot supply (lo = 0, or OpenSim's minimum activation 0.01 to reproduce its
static optimization). Eliminating the reserves leaves a bound-constrained convex
problem, solved by sequential quadratic models, each minimized exactly over the box by a primal
active-set method. The Newton system on the free variables, (D + c A_F^T A_F) d = -g with
diagonal D and c = 2 / r0^2, is solved through the Sherman-Morrison-Woodbury identity, so each
step costs one (n_dof x n_dof) Cholesky factorization.
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
def _woodbury_step(A, dinv, free, grad, S, y, work, out):
    """out_F = -(D_F + c A_F^T A_F)^-1 grad_F for the free set F; zero elsewhere.

    ``dinv`` holds 1/D_ii; ``S`` arrives holding nothing and is built here as
    I/c + A_F D_F^-1 A_F^T (the caller passes 1/c in ``work[0]``).
    """
    n = dinv.shape[0]
    m = A.shape[0]
    inv_c = work[0]
    for k in range(m):
        s = 0.0
        for i in range(n):
            if free[i]:
                s += A[k, i] * dinv[i] * grad[i]
        y[k] = s
        for l in range(k + 1):
            s = 0.0
            for i in range(n):
                if free[i]:
                    s += A[k, i] * dinv[i] * A[l, i]
            S[k, l] = s
            S[l, k] = s
        S[k, k] += inv_c
    _cholesky_solve(S, y, work)
    for i in range(n):
        if free[i]:
            s = 0.0
            for k in range(m):
                s += A[k, i] * y[k]
            out[i] = -dinv[i] * (grad[i] - s)
        else:
            out[i] = 0.0


@njit
def _box_qp(A, c, hdiag, g0, a0, x, at_bound, max_iter, tol, lo):
    """Minimize g0.(x - a0) + 1/2 (x - a0)^T (diag(hdiag) + c A^T A) (x - a0) over lo <= x <= 1.

    Primal active-set method (Nocedal & Wright 2006, Numerical Optimization, Alg. 16.3) with
    bounds as the constraints; ``x`` (feasible) is the warm start and the answer. ``at_bound``
    (n,) int8 is the working set: 0 free, -1 at lo, +1 at 1. Returns the iteration count, or -1
    when the iteration limit is hit.
    """
    n = x.shape[0]
    m = A.shape[0]
    dinv = np.empty(n)
    free = np.empty(n, dtype=np.bool_)
    grad = np.empty(n)
    step = np.empty(n)
    diff = np.empty(n)
    Ad = np.empty(m)
    S = np.empty((m, m))
    y = np.empty(m)
    work = np.empty(max(m, 1))
    for i in range(n):
        dinv[i] = 1.0 / hdiag[i]
    stationary = False
    for it in range(max_iter):
        # Gradient of the model at x.
        for i in range(n):
            diff[i] = x[i] - a0[i]
        for k in range(m):
            s = 0.0
            for i in range(n):
                s += A[k, i] * diff[i]
            Ad[k] = s
        for i in range(n):
            s = 0.0
            for k in range(m):
                s += A[k, i] * Ad[k]
            grad[i] = g0[i] + hdiag[i] * diff[i] + c * s
            free[i] = at_bound[i] == 0
        if not stationary:
            work[0] = 1.0 / c
            _woodbury_step(A, dinv, free, grad, S, y, work, step)
            step_max = 0.0
            for i in range(n):
                step_max = max(step_max, abs(step[i]))
            stationary = step_max <= tol
        if stationary:
            # Minimum on the working set: release the bound with the most negative multiplier.
            worst = -1
            worst_mult = -tol
            for i in range(n):
                if at_bound[i] != 0:
                    mult = grad[i] if at_bound[i] < 0 else -grad[i]
                    if mult < worst_mult:
                        worst_mult = mult
                        worst = i
            if worst < 0:
                return it
            at_bound[worst] = 0
            stationary = False
            continue
        alpha = 1.0
        block = -1
        for i in range(n):
            if step[i] < 0.0:
                t = (lo - x[i]) / step[i]
                if t < alpha:
                    alpha = t
                    block = i
            elif step[i] > 0.0:
                t = (1.0 - x[i]) / step[i]
                if t < alpha:
                    alpha = t
                    block = i
        for i in range(n):
            x[i] = min(max(x[i] + alpha * step[i], lo), 1.0)
        if block >= 0:
            at_bound[block] = -1 if step[block] < 0.0 else 1
            x[block] = lo if step[block] < 0.0 else 1.0
        else:
            stationary = True  # a full Newton step lands on the working set's minimum
    return -1


@njit
def solve_frame(A, b, p, r0, a, max_iter, tol, lo=0.0):
    """Solve one frame in place, starting from ``a`` (warm start).

    Sequential quadratic programming: at each outer iteration the objective's second-order model
    is minimized exactly over the box by :func:`_box_qp`, then a backtracking line search along
    the segment (feasible by convexity). For p = 2 the model is exact and one outer iteration
    solves the frame.

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
    lo : float
        Lower bound of every activation (0, or OpenSim's 0.01).

    Returns
    -------
    (status, iterations) : (int, int), iterations counting inner active-set steps.
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
    hdiag = np.empty(n)
    x = np.empty(n)
    trial = np.empty(n)
    r = np.empty(m)
    at_bound = np.zeros(n, dtype=np.int8)
    for i in range(n):
        a[i] = min(max(a[i], lo), 1.0)
        if a[i] <= lo:
            at_bound[i] = -1
        elif a[i] >= 1.0:
            at_bound[i] = 1
    f_now = _objective(a, A, b, p, c_half)
    total = 0
    for outer in range(max_iter):
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
            pg_max = max(pg_max, abs(a[i] - min(max(a[i] - g[i], lo), 1.0)))
            hd = 2.0 if p == 2.0 else p * (p - 1.0) * a[i] ** (p - 2.0)
            hdiag[i] = max(hd, 1e-8)
            x[i] = a[i]
            # The working set must match the iterate: a damped step leaves a variable that the
            # previous QP put on a bound strictly inside the box.
            at_bound[i] = -1 if a[i] <= lo else (1 if a[i] >= 1.0 else 0)
        if pg_max <= tol:
            return STATUS_OK, total
        its = _box_qp(A, c, hdiag, g, a, x, at_bound, 10 * n + 50, 1e-12, lo)
        if its < 0:
            return STATUS_MAX_ITER, total
        total += its + 1
        t = 1.0
        accepted = False
        for _ in range(50):
            decrease = 0.0
            for i in range(n):
                trial[i] = a[i] + t * (x[i] - a[i])
                decrease += g[i] * (trial[i] - a[i])
            f_trial = _objective(trial, A, b, p, c_half)
            if f_trial <= f_now + 1e-4 * decrease or decrease >= -1e-12 * abs(f_now):
                accepted = True
                break
            t *= 0.5
        if not accepted:
            return STATUS_OK if pg_max <= 1e3 * tol else STATUS_MAX_ITER, total
        for i in range(n):
            a[i] = trial[i]
        f_now = f_trial
        if p == 2.0 and t == 1.0:
            return STATUS_OK, total  # the quadratic model is exact; convergence otherwise by pg
    return STATUS_MAX_ITER, total


@njit
def solve_frames(A, b, p, r0, reserve_flag, max_iter, tol, activation, reserve, status, iterations, lo=0.0):
    """Solve every frame, warm-starting each from the previous solution.

    Parameters
    ----------
    A : (n_frame, n_dof, n_muscle) float [N m per unit activation]
    b : (n_frame, n_dof) float [N m]
    activation : (n_frame, n_muscle) float, out (row 0 on input is the first warm start)
    reserve : (n_frame, n_dof) float, out [N m]
    status, iterations : (n_frame,) int, out
    lo : float, lower bound of every activation
    """
    n_frame = A.shape[0]
    guess = activation[0].copy()
    for f in range(n_frame):
        a = guess.copy()
        st, its = solve_frame(A[f], b[f], p, r0, a, max_iter, tol, lo)
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
