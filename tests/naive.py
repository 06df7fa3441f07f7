"""Slow, obviously-correct reference implementations for the tests (and the benchmark baselines).

Static optimization, one frame: minimize

    J(a, r) = sum_i a_i^p + sum_k (r_k / r0)^2
    subject to  A a + r = b,   0 <= a_i <= 1,   r free,

with ``A`` (n_dof, n_muscle) the moment per unit activation [N m], ``b`` (n_dof,) the demand
[N m], ``p >= 2`` the activation exponent and ``r0`` the reserve optimal moment [N m].

Three independent routes, written for clarity rather than speed:

* :func:`static_opt_scipy` - the problem exactly as stated (activations *and* reserves as
  variables, the moment balance as equality constraints) solved by scipy's SLSQP with analytic
  gradients; the way a user would write it with scipy.
* :func:`static_opt_dual` - the Lagrangian dual, a smooth, strongly concave, *unconstrained*
  problem in the n_dof multipliers, solved by scipy's exact trust-region Newton method. Shares no
  code or formulation with SLSQP, so agreement of the two is strong evidence both are right.
* :func:`polish` - Newton refinement on a given active set, checked by :func:`kkt_violation`;
  SLSQP's answer is passed through it because SLSQP alone stalls ~1e-7-1e-6 from the optimum.
* :func:`static_opt_lsq` - p = 2 only: after eliminating the reserves the problem is a
  bound-constrained linear least-squares problem, solved exactly by scipy's BVLS.
"""
import numpy as np
from scipy.optimize import lsq_linear, minimize, root


def objective(a, A, b, p, r0):
    """J of the reserve-eliminated problem: sum a^p + sum(((b - A a) / r0)^2)."""
    a = np.asarray(a, dtype=float)
    r = b - A @ a
    return float(np.sum(a ** p) + np.sum((r / r0) ** 2))


def eliminated_gradient(a, A, b, p, r0):
    """Gradient of the reserve-eliminated objective, p a^(p-1) - (2 / r0^2) A^T (b - A a)."""
    a = np.asarray(a, dtype=float)
    return p * a ** (p - 1.0) - (2.0 / r0 ** 2) * (A.T @ (b - A @ a))


def kkt_violation(a, A, b, p, r0, bound_tol=0.0):
    """Largest violation of the first-order (KKT) conditions of the eliminated problem.

    With g the gradient: g_i >= 0 where a_i is at 0, g_i <= 0 where a_i is at 1 and g_i = 0
    elsewhere. ``a_i <= bound_tol`` counts as at 0 and ``a_i >= 1 - bound_tol`` as at 1.
    Returns (violation, g) with violation = max over i of the amount each condition is broken by.
    """
    g = eliminated_gradient(a, A, b, p, r0)
    lower = a <= bound_tol
    upper = a >= 1.0 - bound_tol
    free = ~(lower | upper)
    viol = np.zeros_like(g)
    viol[lower] = np.maximum(-g[lower], 0.0)
    viol[upper] = np.maximum(g[upper], 0.0)
    viol[free] = np.abs(g[free])
    return float(viol.max(initial=0.0)), g


def polish(a, A, b, p, r0, bound_tol=1e-8, max_iter=50):
    """Refine an approximate solution on its active set ("crossover").

    Activations within ``bound_tol`` of a bound are put on it; Newton's method with the dense
    Hessian diag(p (p-1) a^(p-2)) + (2 / r0^2) A^T A solves the stationarity equations of the
    others; an activation that leaves the box is fixed at the bound it crossed and the solve
    repeated. The refined point is returned only if its KKT violation (see :func:`kkt_violation`)
    is smaller than the input's, so a wrong active set can never make the answer worse.
    """
    a = np.clip(np.asarray(a, dtype=float), 0.0, 1.0)
    a[a <= bound_tol] = 0.0
    a[a >= 1.0 - bound_tol] = 1.0
    x = a.copy()
    free = (x > 0.0) & (x < 1.0)
    for _ in range(max_iter):
        if not free.any():
            break
        g = eliminated_gradient(x, A, b, p, r0)
        H = np.diag(p * (p - 1.0) * x ** (p - 2.0)) + (2.0 / r0 ** 2) * (A.T @ A)
        step = np.linalg.solve(H[np.ix_(free, free)], -g[free])
        x[free] += step
        out = free & ((x < 0.0) | (x > 1.0))
        if out.any():
            x = np.clip(x, 0.0, 1.0)
            free &= ~out
            continue
        if np.abs(step).max() <= 1e-15:
            break
    before = kkt_violation(a, A, b, p, r0)[0]
    after = kkt_violation(x, A, b, p, r0)[0]
    return x if after < before else a


def static_opt_scipy(A, b, p, r0, a0=None, ftol=1e-15, maxiter=2000, refine=True, analytic=True):
    """Solve one frame with scipy SLSQP on the explicit problem (activations and reserves).

    Parameters
    ----------
    A : (n_dof, n_muscle) float [N m per unit activation]
    b : (n_dof,) float [N m]
    p : float, activation exponent
    r0 : float, reserve optimal moment [N m]
    a0 : (n_muscle,) float, optional
        Starting activations (default 0.05); the starting reserves close the moment balance.
    ftol : float
        SLSQP's precision goal on the objective. The default is far tighter than anyone would use
        in practice so that the answer is a trustworthy reference (the benchmark passes a
        practical value).
    analytic : bool
        Analytic gradients of the objective and constraints (default); False leaves them to
        scipy's finite differences, as a quick script would (benchmark baseline only).
    refine : bool
        Finish with :func:`polish` on SLSQP's active set. SLSQP alone stalls at relative errors
        of ~1e-7-1e-6 in the muscle forces on these problems (its quasi-Newton Hessian is poor
        where the curvature of a^p vanishes, p > 2), too close to the 1e-6 the tests ask of hipsim.

    Returns
    -------
    (a, r, J, result) : activations (n_muscle,), reserves (n_dof,) [N m], objective, and scipy's
    OptimizeResult.
    """
    A = np.asarray(A, dtype=float)
    b = np.asarray(b, dtype=float)
    m, n = A.shape
    a_start = np.full(n, 0.05) if a0 is None else np.clip(np.asarray(a0, dtype=float), 0.0, 1.0)
    x0 = np.concatenate([a_start, b - A @ a_start])

    def fun(x):
        a, r = x[:n], x[n:]
        return np.sum(a ** p) + np.sum((r / r0) ** 2)

    def jac(x):
        a, r = x[:n], x[n:]
        return np.concatenate([p * a ** (p - 1.0), 2.0 * r / r0 ** 2])

    jac_eq = np.hstack([A, np.eye(m)])
    constraint = {"type": "eq", "fun": lambda x: jac_eq @ x - b}
    if analytic:
        constraint["jac"] = lambda x: jac_eq
    bounds = [(0.0, 1.0)] * n + [(None, None)] * m
    res = minimize(fun, x0, jac=jac if analytic else None, bounds=bounds, constraints=[constraint],
                   method="SLSQP", options={"ftol": ftol, "maxiter": maxiter})
    a = np.clip(res.x[:n], 0.0, 1.0)
    if refine:
        a = polish(a, A, b, p, r0)
    r = b - A @ a                       # close the balance exactly (SLSQP only meets it to ~ftol)
    return a, r, objective(a, A, b, p, r0), res


def _dual_activation(s, p):
    """argmin over 0 <= a <= 1 of a^p - s a, elementwise, and its derivative da/ds."""
    s_pos = np.maximum(s, 0.0)
    a_free = (s_pos / p) ** (1.0 / (p - 1.0))
    a = np.minimum(a_free, 1.0)
    free = (s > 0.0) & (a_free < 1.0)
    da = np.zeros_like(s)
    da[free] = a_free[free] / ((p - 1.0) * s[free])
    return a, da


def static_opt_dual(A, b, p, r0, gtol=1e-12):
    """Solve one frame through its Lagrangian dual (an independent route to the same answer).

    With multipliers lam on A a + r = b the dual function is

        q(lam) = lam.b - (r0^2 / 4) |lam|^2 + sum_i min_{0<=a_i<=1} (a_i^p - (A^T lam)_i a_i),

    whose inner minimization has the closed form a_i = clip(((A^T lam)_i / p)^(1/(p-1)), 0, 1),
    and the reserves are r = (r0^2 / 2) lam. q is strongly concave and continuously
    differentiable with gradient b - A a(lam) - r(lam), the moment-balance residual, so maximizing
    it (scipy's trust-exact Newton method with the exact Hessian) returns the primal optimum
    with the balance met to ``gtol`` [N m]. Strong duality holds (convex objective, linear
    constraints).

    Returns
    -------
    (a, r, J, result) as :func:`static_opt_scipy`.
    """
    A = np.asarray(A, dtype=float)
    b = np.asarray(b, dtype=float)
    m = A.shape[0]
    half = r0 ** 2 / 2.0

    def negative_dual(lam):
        s = A.T @ lam
        a, _ = _dual_activation(s, p)
        value = lam @ b - 0.5 * half * lam @ lam + np.sum(a ** p - s * a)
        grad = b - A @ a - half * lam
        return -value, -grad

    def hessian(lam):
        _, da = _dual_activation(A.T @ lam, p)
        return half * np.eye(m) + (A * da) @ A.T

    res = minimize(negative_dual, np.zeros(m), jac=True, hess=hessian, method="trust-exact",
                   options={"gtol": gtol, "maxiter": 1000})
    lam = res.x
    # Near the optimum the dual value's decrease drowns in round-off before its gradient is
    # tiny, which stops the trust region early; polish on the gradient alone (Newton on the
    # stationarity equations, Powell's hybrid method), and keep whichever point balances better.
    polish = root(lambda x: -negative_dual(x)[1], lam, jac=lambda x: -hessian(x), method="hybr",
                  options={"xtol": 1e-15})
    if np.linalg.norm(negative_dual(polish.x)[1]) < np.linalg.norm(negative_dual(lam)[1]):
        lam = polish.x
    res.x = lam
    a, _ = _dual_activation(A.T @ lam, p)
    r = b - A @ a
    return a, r, objective(a, A, b, p, r0), res


def static_opt_lsq(A, b, r0):
    """Solve one p = 2 frame exactly as bounded least squares (scipy BVLS, an active-set method).

    With the reserves eliminated, J = |a|^2 + |(b - A a) / r0|^2 = |[A / r0; I] a - [b / r0; 0]|^2.

    Returns
    -------
    (a, r, J, result) as :func:`static_opt_scipy`.
    """
    A = np.asarray(A, dtype=float)
    b = np.asarray(b, dtype=float)
    n = A.shape[1]
    M = np.vstack([A / r0, np.eye(n)])
    y = np.concatenate([b / r0, np.zeros(n)])
    res = lsq_linear(M, y, bounds=(0.0, 1.0), method="bvls", tol=1e-15, lsq_solver="exact")
    a = np.clip(res.x, 0.0, 1.0)
    r = b - A @ a
    return a, r, objective(a, A, b, 2.0, r0), res


def static_opt_frames(capacity, demand, p, r0, method="slsqp", **kwargs):
    """One reference solve per frame: (activation (n_frame, n_muscle), reserve (n_frame, n_dof),
    objective (n_frame,))."""
    solve = {"slsqp": static_opt_scipy, "dual": static_opt_dual}[method]
    out = [solve(A, b, p, r0, **kwargs) for A, b in zip(capacity, demand)]
    return (np.array([o[0] for o in out]), np.array([o[1] for o in out]),
            np.array([o[2] for o in out]))
