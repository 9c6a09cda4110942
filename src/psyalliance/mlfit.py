"""Maximum likelihood for the book's path models in numpy: listwise normal ML and casewise FIML.

The engine behind :func:`psyalliance.models.fit_model` (semopy stays its front end: it
parses the model and is the cross-check). Scope: *observed-variable recursive* path
models, one parameter per distinct label, paths ``y ~ x``, (residual) (co)variances
``a ~~ b`` and intercepts ``y ~1``; anything else raises :class:`EngineError` (and
``fit_model`` then fits the model with semopy's optimizer instead). With the parameters
``B`` (paths), ``Psi`` ((co)variances) and ``alpha`` (intercepts), ``A = (I - B)^-1``:

    Sigma = A Psi A',    mu = A alpha.

* ``"listwise"``: the normal log-likelihood of the N complete cases with saturated means
  and the exogenous block of Psi fixed at its sample values (lavaan ``fixed.x = TRUE``),
  ``l = -N/2 (p log 2 pi + log|Sigma| + tr(S Sigma^-1))`` with S the ML (divisor N)
  sample covariance. Maximised by Fisher scoring with the analytic gradient and the
  expected information ``N/2 tr(W D_k W D_l)`` (``W = Sigma^-1``, ``D_k = dSigma/dtheta_k``),
  lavaan's information for these standard errors.
* ``"fiml"``: the casewise log-likelihood, each case contributing the normal density of its
  observed entries, computed once per missing-data pattern g (n_g cases, mean m_g, ML
  covariance S_g): ``l_g = -n_g/2 (p_g log 2 pi + log|Sigma_g| + tr(W_g (S_g + d d')))`` with
  ``d = m_g - mu_g``. Maximised by Newton steps with the analytic gradient and the observed
  information (minus the Hessian; lavaan's default for ``missing = "ml"``), by numerical
  differences of the log-likelihood evaluated for all points in one batch; scipy's BFGS
  with the analytic gradient takes over where the information is not positive definite.

Units: the log-likelihood is summed over cases (not divided by N); parameters are on the
variables' own scales.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import optimize

from psyalliance.validation import ModelError

ESTIMATORS = ("listwise", "fiml")
"""The likelihoods this engine maximises (the ``missing`` values of :func:`psyalliance.models.fit_model`)."""

OPS = ("~", "~~", "~1")
"""Row kinds: path ``lval ~ rval`` (rval -> lval), (co)variance ``lval ~~ rval``, intercept / mean ``lval ~1``."""

MAX_STEPS = 100
"""Largest number of Newton / scoring steps :func:`maximise` takes."""

CONVERGED = 1e-20
"""Newton decrement g' I^-1 g below which :func:`maximise` stops (the log-likelihood is then within 1e-20 of the
maximum; the optimum check of ``fit_model`` asks for 1e-8)."""

_LOG2PI = np.log(2.0 * np.pi)


class EngineError(ModelError):
    """A model or a dataset this engine cannot fit (``fit_model`` falls back to semopy's optimizer)."""


class PathLikelihood:
    """The log-likelihood of an observed-variable recursive path model, with its gradient and information.

    ``observed``: the variables, in the column order of ``x``; ``rows``: one ``(op, lval, rval)``
    per row of the estimates table (:data:`OPS`); ``where``: for each row, the index of its free
    parameter (rows sharing a label share one); ``x``: the cases (rows) used, NaN for a missing
    value (``"fiml"`` only; each case with at least one observed value); ``missing``:
    ``"listwise"`` or ``"fiml"``. For ``"listwise"`` the exogenous (co)variances must not be
    rows: ``exogenous`` names them and they are fixed at their sample values.
    Raises :class:`EngineError` for a row kind, a variable, a feedback loop or data it cannot handle.
    """

    def __init__(self, observed: Sequence[str], rows: Sequence[tuple[str, str, str]], where: Sequence[int],
                 x: np.ndarray, missing: str, exogenous: Sequence[str] = ()) -> None:
        if missing not in ESTIMATORS:
            raise EngineError(f"missing = {missing!r} is not one of {', '.join(ESTIMATORS)}")
        self.observed = list(observed)
        self.missing = missing
        p = self.p = len(self.observed)
        idx = {v: i for i, v in enumerate(self.observed)}
        self.rows = [tuple(r) for r in rows]
        self.where = np.asarray(where, dtype=int)
        if len(self.where) != len(self.rows):
            raise EngineError(f"{len(self.rows)} rows but {len(self.where)} parameter indices")
        self.q = int(self.where.max()) + 1 if len(self.where) else 0
        if sorted(set(self.where.tolist())) != list(range(self.q)):
            raise EngineError("the parameter indices must number the parameters 0, 1, ... without a gap")
        for op, lval, rval in self.rows:
            if op not in OPS:
                raise EngineError(f"row {lval} {op} {rval}: this engine fits only {', '.join(OPS)} rows")
            if lval not in idx or (op != "~1" and rval not in idx):
                raise EngineError(f"row {lval} {op} {rval} names a variable that is not observed: {self.observed}")
            if op == "~" and lval == rval:
                raise EngineError(f"row {lval} ~ {rval} is a self-loop")
            if op == "~1" and missing == "listwise":
                raise EngineError("listwise ML here has saturated means: no intercept rows")
        kinds = np.array([r[0] for r in self.rows])
        self.path = np.flatnonzero(kinds == "~")
        self.cov = np.flatnonzero(kinds == "~~")
        self.mean = np.flatnonzero(kinds == "~1")
        self.b_at = (np.array([idx[self.rows[i][1]] for i in self.path], dtype=int),
                     np.array([idx[self.rows[i][2]] for i in self.path], dtype=int))
        self.psi_at = (np.array([idx[self.rows[i][1]] for i in self.cov], dtype=int),
                       np.array([idx[self.rows[i][2]] for i in self.cov], dtype=int))
        self.alpha_at = np.array([idx[self.rows[i][1]] for i in self.mean], dtype=int)
        b = np.zeros((p, p))
        b[self.b_at] = 1.0
        if np.any(np.linalg.matrix_power(b, p) != 0) if p else False:  # a walk of length p: a cycle
            raise EngineError("the paths form a feedback loop; this engine fits recursive models only")
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape[1] != p:
            raise EngineError(f"x must be cases x {p} variables, got shape {x.shape}")
        self.n = x.shape[0]
        self.fixed_psi = np.zeros((p, p))
        if missing == "listwise":
            if np.isnan(x).any():
                raise EngineError("listwise ML needs complete cases; found missing values")
            self.sample_mean = x.mean(axis=0)
            dev = x - self.sample_mean
            self.sample_cov = dev.T @ dev / self.n
            e = [idx[v] for v in exogenous]
            self.fixed_psi[np.ix_(e, e)] = self.sample_cov[np.ix_(e, e)]
            on_exo = [r for r in self.rows if r[0] == "~~" and r[1] in exogenous and r[2] in exogenous]
            if on_exo:
                raise EngineError(f"listwise ML fixes the exogenous (co)variances; {on_exo[0]} is a row")
            self.patterns = [(np.arange(p), self.n, np.zeros(p), self.sample_cov)]
        else:
            obs = ~np.isnan(x)
            if not obs.any(axis=1).all():
                raise EngineError("FIML needs at least one observed value in every case")
            kinds_of, inverse = np.unique(obs, axis=0, return_inverse=True)
            self.patterns = []
            for k, pattern in enumerate(kinds_of):
                rows_k = x[inverse.ravel() == k][:, pattern]
                m = rows_k.mean(axis=0)
                dev = rows_k - m
                self.patterns.append((np.flatnonzero(pattern), len(rows_k), m, dev.T @ dev / len(rows_k)))

    # ------------------------------------------------------------------ moments

    def matrices(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(B, Psi, alpha) at parameter values ``theta`` (shape (..., q)), each with the same leading shape."""
        theta = np.asarray(theta, dtype=float)
        lead = theta.shape[:-1]
        values = theta[..., self.where]
        b = np.zeros(lead + (self.p, self.p))
        b[..., self.b_at[0], self.b_at[1]] = values[..., self.path]
        psi = np.broadcast_to(self.fixed_psi, lead + (self.p, self.p)).copy()
        psi[..., self.psi_at[0], self.psi_at[1]] = values[..., self.cov]
        psi[..., self.psi_at[1], self.psi_at[0]] = values[..., self.cov]
        alpha = np.zeros(lead + (self.p,))
        alpha[..., self.alpha_at] = values[..., self.mean]
        return b, psi, alpha

    def moments(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Implied (mu, Sigma) at ``theta`` (shape (..., q)): mu = A alpha, Sigma = A Psi A', A = (I - B)^-1."""
        b, psi, alpha = self.matrices(theta)
        a = np.linalg.inv(np.eye(self.p) - b)
        return (a @ alpha[..., None])[..., 0], a @ psi @ np.swapaxes(a, -1, -2)

    # ------------------------------------------------------------------ likelihood

    def loglik_batch(self, thetas: np.ndarray) -> np.ndarray:
        """The log-likelihood at each row of ``thetas`` (K x q); -inf where an implied Sigma is not positive definite."""
        thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
        mu, sigma = self.moments(thetas)
        total = np.zeros(len(thetas))
        for o, n_g, m_g, s_g in self.patterns:
            sub = sigma[:, o[:, None], o[None, :]]
            try:
                chol = np.linalg.cholesky(sub)
            except np.linalg.LinAlgError:
                return np.array([self.loglik_batch(t[None])[0] if self._pd(t) else -np.inf for t in thetas])
            logdet = 2 * np.log(np.diagonal(chol, axis1=-2, axis2=-1)).sum(axis=-1)
            d = m_g - mu[:, o] if self.missing == "fiml" else np.zeros((len(thetas), len(o)))
            moment = s_g + d[:, :, None] * d[:, None, :]
            quad = np.einsum("kij,kji->k", np.linalg.inv(sub), moment)
            total += -0.5 * n_g * (len(o) * _LOG2PI + logdet + quad)
        return total

    def _pd(self, theta: np.ndarray) -> bool:
        sigma = self.moments(theta)[1]
        try:
            for o, *_ in self.patterns:
                np.linalg.cholesky(sigma[np.ix_(o, o)])
        except np.linalg.LinAlgError:
            return False
        return True

    def loglik(self, theta: np.ndarray) -> float:
        """The log-likelihood (summed over cases) at ``theta`` (q,); -inf outside the positive-definite region."""
        return float(self.loglik_batch(np.asarray(theta, dtype=float)[None])[0])

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        """The analytic gradient of :meth:`loglik` at ``theta`` (q,).

        With dl = 1/2 tr(G dSigma) + g_mu' dmu (summed over patterns: G = n_g (W S* W - W) and
        g_mu = n_g W d on the pattern's variables, ``S* = S_g + d d'``, W the inverse of the pattern's
        Sigma) and dA = A dB A: dl/dB = A' G Sigma + (A' g_mu) mu', dl/dPsi_ij = (A' G A)_ij
        (half that on the diagonal), dl/dalpha = A' g_mu; rows sharing a parameter add up.
        """
        return self.gradient_batch(np.asarray(theta, dtype=float)[None])[0]

    def gradient_batch(self, thetas: np.ndarray) -> np.ndarray:
        """:meth:`gradient` at each row of ``thetas`` (K x q), in one batch."""
        thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
        k = len(thetas)
        b, psi, alpha = self.matrices(thetas)
        a = np.linalg.inv(np.eye(self.p) - b)
        at = np.swapaxes(a, -1, -2)
        mu, sigma = (a @ alpha[..., None])[..., 0], a @ psi @ at
        g_sigma = np.zeros((k, self.p, self.p))
        g_mu = np.zeros((k, self.p))
        for o, n_g, m_g, s_g in self.patterns:
            w = np.linalg.inv(sigma[:, o[:, None], o[None, :]])
            d = m_g - mu[:, o] if self.missing == "fiml" else np.zeros((k, len(o)))
            moment = s_g + d[:, :, None] * d[:, None, :]
            g_sigma[:, o[:, None], o[None, :]] += n_g * (w @ moment @ w - w)
            g_mu[:, o] += n_g * (w @ d[..., None])[..., 0]
        at_mu = (at @ g_mu[..., None])[..., 0]
        d_b = at @ g_sigma @ sigma + at_mu[:, :, None] * mu[:, None, :]
        d_psi = at @ g_sigma @ a
        row = np.zeros((k, len(self.rows)))
        row[:, self.path] = d_b[:, self.b_at[0], self.b_at[1]]
        i, j = self.psi_at
        row[:, self.cov] = np.where(i == j, 0.5, 1.0) * d_psi[:, i, j]
        row[:, self.mean] = at_mu[:, self.alpha_at]
        out = np.zeros((k, self.q))
        np.add.at(out.T, self.where, row.T)
        return out

    def sigma_jacobian(self, theta: np.ndarray) -> np.ndarray:
        """dSigma/dtheta_k, shape (q, p, p): A E_ij Sigma + Sigma E_ji A' for a path, A (E_ij + E_ji) A' for a
        covariance (A E_ii A' for a variance); rows sharing a parameter add up."""
        b, psi, alpha = self.matrices(theta)
        a = np.linalg.inv(np.eye(self.p) - b)
        sigma = a @ psi @ a.T
        out = np.zeros((self.q, self.p, self.p))
        for r, (i, j) in zip(self.path, zip(*self.b_at)):
            d = np.outer(a[:, i], sigma[j])
            out[self.where[r]] += d + d.T
        for r, (i, j) in zip(self.cov, zip(*self.psi_at)):
            d = np.outer(a[:, i], a[:, j])
            out[self.where[r]] += d if i == j else d + d.T
        return out

    def mu_jacobian(self, theta: np.ndarray) -> np.ndarray:
        """dmu/dtheta_k, shape (q, p): A e_i mu_j for a path i <- j, A e_i for an intercept, 0 for a covariance."""
        b, psi, alpha = self.matrices(theta)
        a = np.linalg.inv(np.eye(self.p) - b)
        mu = a @ alpha
        out = np.zeros((self.q, self.p))
        for r, (i, j) in zip(self.path, zip(*self.b_at)):
            out[self.where[r]] += a[:, i] * mu[j]
        for r, i in zip(self.mean, self.alpha_at):
            out[self.where[r]] += a[:, i]
        return out

    def expected_information(self, theta: np.ndarray) -> np.ndarray:
        """The expected (Fisher) information: sum over patterns of n_g (J' W J + 1/2 tr(W D_k W D_l)) on the
        pattern's variables (J = dmu/dtheta, D_k = dSigma/dtheta_k). Listwise (one pattern, saturated means,
        exogenous block fixed): N/2 tr(W D_k W D_l), lavaan's information for listwise standard errors."""
        sigma = self.moments(theta)[1]
        jac_s = self.sigma_jacobian(theta)
        jac_m = self.mu_jacobian(theta) if self.missing == "fiml" else None
        info = np.zeros((self.q, self.q))
        for o, n_g, _, _ in self.patterns:
            w = np.linalg.inv(sigma[np.ix_(o, o)])
            wd = w @ jac_s[:, o[:, None], o[None, :]]
            info += n_g / 2 * np.einsum("kab,lba->kl", wd, wd)
            if jac_m is not None:
                jm = jac_m[:, o]
                info += n_g * jm @ w @ jm.T
        return info

    def observed_information(self, theta: np.ndarray, rel_step: float = 1e-4) -> np.ndarray:
        """Minus the Hessian of :meth:`loglik`: central differences of the analytic gradient with one
        Richardson extrapolation (steps ``h = rel_step * max(|theta_i|, 1)`` and ``h / 2``, combined as
        ``(4 H(h/2) - H(h)) / 3``), all 4q gradients in one batch, symmetrized."""
        theta = np.asarray(theta, dtype=float)
        h = rel_step * np.maximum(np.abs(theta), 1.0)
        steps = np.concatenate([np.diag(h / 2), -np.diag(h / 2), np.diag(h), -np.diag(h)])
        g = self.gradient_batch(theta + steps).reshape(4, self.q, self.q)
        hess = (4 * (g[0] - g[1]) / h[:, None] - (g[2] - g[3]) / (2 * h[:, None])) / 3
        return -(hess + hess.T) / 2

    def information(self, theta: np.ndarray) -> np.ndarray:
        """lavaan's information for the standard errors: expected (listwise), observed (FIML)."""
        return self.expected_information(theta) if self.missing == "listwise" else self.observed_information(theta)

    def numerical_gradient(self, theta: np.ndarray) -> np.ndarray:
        """The gradient by the stencil of :func:`psyalliance.fitstats.numerical_gradient`, in one batch
        (independent of :meth:`gradient`, for the optimum check)."""
        return numerical_gradient_batch(self.loglik_batch, theta)

    # ------------------------------------------------------------------ start

    def start(self, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
        """lavaan-style starting values from moments (mean, cov): each outcome's OLS paths on its predictors,
        Psi = (I - B) cov (I - B)', alpha = (I - B) mean; a shared parameter starts at its first row's value."""
        idx = range(self.p)
        b = np.zeros((self.p, self.p))
        for y in idx:
            preds = self.b_at[1][self.b_at[0] == y]
            if len(preds):
                b[y, preds] = np.linalg.lstsq(cov[np.ix_(preds, preds)], cov[preds, y], rcond=None)[0]
        resid = np.eye(self.p) - b
        psi = resid @ cov @ resid.T
        alpha = resid @ mean
        row = np.zeros(len(self.rows))
        row[self.path] = b[self.b_at]
        row[self.cov] = psi[self.psi_at]
        row[self.mean] = alpha[self.alpha_at]
        theta = np.zeros(self.q)
        first = np.unique(self.where, return_index=True)[1]
        theta[self.where[first]] = row[first]
        return theta


# ---------------------------------------------------------------------- batched numerical derivatives


def _hessian_points(theta: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, list]:
    n = theta.size
    e = np.eye(n) * h
    points = [theta]
    plan = []
    for i in range(n):
        plan.append((i, i, len(points)))
        points += [theta + e[i], theta - e[i]]
        for j in range(i):
            plan.append((i, j, len(points)))
            points += [theta + e[i] + e[j], theta + e[i] - e[j], theta - e[i] + e[j], theta - e[i] - e[j]]
    return np.array(points), plan


def _central_hessian_batch(f_batch, theta: np.ndarray, h: np.ndarray) -> np.ndarray:
    points, plan = _hessian_points(theta, h)
    f = f_batch(points)
    hess = np.empty((theta.size, theta.size))
    for i, j, k in plan:
        if i == j:
            hess[i, i] = (f[k] - 2 * f[0] + f[k + 1]) / h[i] ** 2
        else:
            hess[i, j] = hess[j, i] = (f[k] - f[k + 1] - f[k + 2] + f[k + 3]) / (4 * h[i] * h[j])
    return hess


def numerical_hessian_batch(f_batch, theta: np.ndarray, rel_step: float = 2e-3) -> np.ndarray:
    """:func:`psyalliance.fitstats.numerical_hessian` of ``f`` with every point evaluated in one call.

    ``f_batch``: K x q parameter rows -> K values. Steps ``h = rel_step * max(|theta_i|, 1)``
    and ``h / 2``, combined as ``(4 H(h/2) - H(h)) / 3``.
    """
    theta = np.asarray(theta, dtype=float)
    h = rel_step * np.maximum(np.abs(theta), 1.0)
    return (4 * _central_hessian_batch(f_batch, theta, h / 2) - _central_hessian_batch(f_batch, theta, h)) / 3


def numerical_gradient_batch(f_batch, theta: np.ndarray, rel_step: float = 1e-4) -> np.ndarray:
    """:func:`psyalliance.fitstats.numerical_gradient` of ``f`` with every point evaluated in one call."""
    theta = np.asarray(theta, dtype=float)
    h = rel_step * np.maximum(np.abs(theta), 1.0)
    out = []
    for step in (h / 2, h):
        e = np.diag(step)
        f = f_batch(np.concatenate([theta + e, theta - e]))
        out.append((f[: theta.size] - f[theta.size:]) / (2 * step))
    return (4 * out[0] - out[1]) / 3


# ---------------------------------------------------------------------- the maximiser


def _newton(lik: PathLikelihood, theta: np.ndarray) -> tuple[np.ndarray, str]:
    """Newton steps with step halving from ``theta``; (theta, "") at convergence, else (theta, why).

    Each step uses lavaan's information for the standard errors (:meth:`PathLikelihood.information`:
    a scoring step listwise, a Newton step for FIML) or, where that is not positive definite (far
    from the maximum), the expected information (a scoring step).
    """
    value = lik.loglik(theta)
    if not np.isfinite(value):
        return theta, "the start implies a covariance matrix that is not positive definite"
    for _ in range(MAX_STEPS):
        g = lik.gradient(theta)
        for information in (lik.information, lik.expected_information):
            try:
                factor = np.linalg.cholesky(information(theta))
                break
            except np.linalg.LinAlgError:
                continue
        else:
            return theta, "the information is not positive definite"
        step = np.linalg.solve(factor.T, np.linalg.solve(factor, g))
        decrement = float(g @ step)
        if decrement < CONVERGED:
            return theta, ""
        for _ in range(40):
            new = lik.loglik(theta + step)
            if new >= value - 1e-12 * max(1.0, abs(value)):
                break
            step = step / 2
        else:
            return theta, "no step along the Newton direction increases the log-likelihood"
        theta, value = theta + step, new
        if decrement < 1e-14:  # a Newton step from there leaves a decrement of about 1e-28
            return theta, ""
    return theta, f"no convergence in {MAX_STEPS} Newton steps"


def _bfgs(lik: PathLikelihood, theta: np.ndarray) -> np.ndarray:
    """scipy's BFGS on -loglik / N with the analytic gradient (the Newton steps finish the job)."""
    n = lik.n

    def fun(t: np.ndarray) -> tuple[float, np.ndarray]:
        value = lik.loglik(t)
        if not np.isfinite(value):
            return np.inf, np.zeros_like(t)
        return -value / n, -lik.gradient(t) / n

    res = optimize.minimize(fun, theta, jac=True, method="BFGS", options={"gtol": 1e-10, "maxiter": 2000})
    return res.x if np.isfinite(lik.loglik(res.x)) else theta


def maximise(lik: PathLikelihood, theta: np.ndarray) -> tuple[np.ndarray, str]:
    """The maximum of ``lik`` from ``theta``: (theta, "") when reached, else (theta, why it stopped).

    Newton steps (:func:`_newton`: lavaan's information, listwise expected, i.e. Fisher scoring,
    FIML observed, or the expected one where that is not positive definite); where they stop short,
    scipy's BFGS with the analytic gradient, then Newton steps again from its point.
    """
    theta = np.asarray(theta, dtype=float)
    out, why = _newton(lik, theta)
    if not why:
        return out, ""
    start = out if np.isfinite(lik.loglik(out)) else theta
    if not np.isfinite(lik.loglik(start)):
        return theta, why
    out, why2 = _newton(lik, _bfgs(lik, start))
    return out, (f"{why}; after BFGS: {why2}" if why2 else "")


# ---------------------------------------------------------------------- the saturated (H1) model


def saturated_rows(observed: Sequence[str]) -> list[tuple[str, str, str]]:
    """A saturated recursive parametrization: each variable regressed on all before it, a residual
    variance and an intercept each (p(p+1)/2 + p parameters, any mean and positive-definite covariance)."""
    rows = [("~", y, x) for i, y in enumerate(observed) for x in observed[:i]]
    rows += [("~~", v, v) for v in observed] + [("~1", v, "") for v in observed]
    return rows


def saturated_moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ML mean and covariance of incomplete normal data (NaN = missing; every case with an observed value).

    The maximum of the casewise likelihood (the H1 model of FIML) under :func:`saturated_rows`,
    by :func:`maximise` from the observed-values means and variances (or, if there are enough
    complete cases, their moments). The same estimate as :func:`psyalliance.fitstats.em_saturated`
    (the EM algorithm), in a few Newton steps instead of hundreds of EM iterations.
    Raises :class:`EngineError` if the maximum is not reached.
    """
    x = np.asarray(x, dtype=float)
    p = x.shape[1]
    names = [f"v{i}" for i in range(p)]
    rows = saturated_rows(names)
    lik = PathLikelihood(names, rows, range(len(rows)), x, "fiml")
    complete = x[~np.isnan(x).any(axis=1)]
    mean, cov = np.nanmean(x, axis=0), np.diag(np.nanvar(x, axis=0))
    if len(complete) > 2 * p:
        full = np.cov(complete.T, bias=True)
        if np.linalg.eigvalsh(full).min() > 1e-8 * np.trace(full):
            cov = full
    theta, why = maximise(lik, lik.start(mean, cov))
    if why:
        raise EngineError(f"the saturated FIML model did not converge: {why}")
    return lik.moments(theta)
