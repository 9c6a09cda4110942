"""Maximum likelihood for the book's path models in numpy: listwise normal ML and casewise FIML.

The engine behind :func:`psyalliance.sem.models.fit_model` (semopy stays its front end: it
parses the model and is the cross-check). Scope: *observed-variable recursive* path
models, one parameter per distinct label, paths ``y ~ x``, (residual) (co)variances
``a ~~ b`` and intercepts ``y ~1``; anything else raises :class:`EngineError` (and
``fit_model`` then fits the model with semopy's optimizer instead). With the parameters
``B`` (paths), ``Psi`` ((co)variances) and ``alpha`` (intercepts), ``A = (I - B)^-1``:

    Sigma = A Psi A',    mu = A alpha.

* ``"listwise"``: the normal log-likelihood of the N complete cases with saturated means
  and the exogenous block of Psi fixed at its sample values (lavaan ``fixed.x = TRUE``),
  ``l = -N/2 (p log 2 pi + log|Sigma| + tr(S Sigma^-1))`` with S the ML (divisor N)
  sample covariance. Standard errors from the expected information ``N/2 tr(W D_k W D_l)``
  (``W = Sigma^-1``, ``D_k = dSigma/dtheta_k``, analytic), lavaan's for listwise ML.
* ``"fiml"``: the casewise log-likelihood, each case contributing the normal density of its
  observed entries, computed once per missing-data pattern g (n_g cases, mean m_g, ML
  covariance S_g): ``l_g = -n_g/2 (p_g log 2 pi + log|Sigma_g| + tr(W_g (S_g + d d')))`` with
  ``d = m_g - mu_g``, all patterns in one batch. Standard errors from the observed information
  (minus the Hessian; lavaan's default for ``missing = "ml"``), by central differences of the
  analytic gradient with one Richardson extrapolation.

Both are maximised (:func:`maximise`) by Newton steps with the analytic gradient and the observed
information from lavaan-style OLS starting values (the expected information where the observed one
is not positive definite, scipy's BFGS where the Newton steps stop short).

Units: the log-likelihood is summed over cases (not divided by N); parameters are on the
variables' own scales.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import optimize

from psyalliance.errors import ModelError

ESTIMATORS = ("listwise", "fiml")
"""The likelihoods this engine maximises (the ``missing`` values of :func:`psyalliance.sem.models.fit_model`)."""

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
        self._rows_to_parameters = np.zeros((len(self.rows), self.q))
        self._rows_to_parameters[np.arange(len(self.rows)), self.where] = 1.0
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
        if missing == "fiml":
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
        # every pattern as a p x p problem, for one batch over patterns: the block of the missing variables
        # in Sigma replaced by the identity (so that W = Sigma^-1 holds the pattern's inverse in its observed
        # block, and log|Sigma| is the pattern's log-determinant), their means and moments by 0
        seen = np.zeros((len(self.patterns), p))
        for g, (o, *_) in enumerate(self.patterns):
            seen[g, o] = 1.0
        self._seen = seen
        self._mask = seen[:, :, None] * seen[:, None, :]
        self._fill = np.einsum("gi,ij->gij", 1 - seen, np.eye(p))
        self._n_g = np.array([n_g for _, n_g, _, _ in self.patterns], dtype=float)
        self._p_g = seen.sum(axis=1)
        self._m_g = np.zeros((len(self.patterns), p))
        self._s_g = np.zeros((len(self.patterns), p, p))
        for g, (o, _, m_g, s_g) in enumerate(self.patterns):
            self._m_g[g, o] = m_g
            self._s_g[g][np.ix_(o, o)] = s_g

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

    def _pattern_terms(self, mu: np.ndarray, sigma: np.ndarray):
        """Per case-batch k and pattern g: (W, log|Sigma_g|, d, S_g + d d'), padded to p x p; None if not PD."""
        padded = sigma[:, None] * self._mask + self._fill
        try:
            chol = np.linalg.cholesky(padded)
        except np.linalg.LinAlgError:
            return None
        logdet = 2 * np.log(np.diagonal(chol, axis1=-2, axis2=-1)).sum(axis=-1)
        if self.missing == "fiml":
            d = (self._m_g - mu[:, None, :]) * self._seen
        else:
            d = np.zeros((len(mu),) + self._m_g.shape)
        moment = self._s_g + d[..., :, None] * d[..., None, :]
        return np.linalg.inv(padded), logdet, d, moment

    def loglik_batch(self, thetas: np.ndarray) -> np.ndarray:
        """The log-likelihood at each row of ``thetas`` (K x q); -inf where an implied Sigma is not positive definite."""
        thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
        mu, sigma = self.moments(thetas)
        terms = self._pattern_terms(mu, sigma)
        if terms is None:
            if len(thetas) == 1:
                return np.array([-np.inf])
            return np.concatenate([self.loglik_batch(t[None]) for t in thetas])
        w, logdet, _, moment = terms
        quad = np.einsum("kgij,kgji->kg", w, moment)
        return -0.5 * (self._n_g * (self._p_g * _LOG2PI + logdet + quad)).sum(axis=-1)

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
        """:meth:`gradient` at each row of ``thetas`` (K x q), in one batch; raises :class:`EngineError` where an
        implied Sigma is not positive definite."""
        thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
        k = len(thetas)
        b, psi, alpha = self.matrices(thetas)
        a = np.linalg.inv(np.eye(self.p) - b)
        at = np.swapaxes(a, -1, -2)
        mu, sigma = (a @ alpha[..., None])[..., 0], a @ psi @ at
        terms = self._pattern_terms(mu, sigma)
        if terms is None:
            raise EngineError("the gradient is not defined where the implied covariance matrix is not positive definite")
        w, _, d, moment = terms
        g_sigma = np.einsum("g,kgij->kij", self._n_g, (w @ moment @ w - w) * self._mask)
        g_mu = np.einsum("g,kgij,kgj->ki", self._n_g, w, d)
        at_mu = (at @ g_mu[..., None])[..., 0]
        d_b = at @ g_sigma @ sigma + at_mu[:, :, None] * mu[:, None, :]
        d_psi = at @ g_sigma @ a
        row = np.zeros((k, len(self.rows)))
        row[:, self.path] = d_b[:, self.b_at[0], self.b_at[1]]
        i, j = self.psi_at
        row[:, self.cov] = np.where(i == j, 0.5, 1.0) * d_psi[:, i, j]
        row[:, self.mean] = at_mu[:, self.alpha_at]
        return row @ self._rows_to_parameters

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
        return _observed_from_gradients(self.gradient_batch(theta + steps), h, self.q)

    def gradient_and_hessian(self, theta: np.ndarray, rel_step: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
        """(:meth:`gradient`, minus its Jacobian) at ``theta`` from one batch of q + 1 gradients: forward
        differences of relative step ``rel_step`` (error about 1e-6 relative, plenty for a Newton step; the
        standard errors use :meth:`information`). Newton steps with it converge quadratically under either
        estimator."""
        theta = np.asarray(theta, dtype=float)
        h = rel_step * np.maximum(np.abs(theta), 1.0)
        g = self.gradient_batch(theta + np.concatenate([np.zeros((1, self.q)), np.diag(h)]))
        hess = (g[1:] - g[0]) / h[:, None]
        return g[0], -(hess + hess.T) / 2

    def information(self, theta: np.ndarray) -> np.ndarray:
        """lavaan's information for the standard errors: expected (listwise), observed (FIML)."""
        return self.expected_information(theta) if self.missing == "listwise" else self.observed_information(theta)

    def numerical_gradient(self, theta: np.ndarray) -> np.ndarray:
        """The gradient by the stencil of :func:`psyalliance.sem.fitstats.numerical_gradient`, in one batch
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


def _observed_from_gradients(g: np.ndarray, h: np.ndarray, q: int) -> np.ndarray:
    """Minus the symmetrized Hessian from the gradients at theta +- h/2 e_i and theta +- h e_i (4q rows, in that
    order): central differences, one Richardson extrapolation (4 D(h/2) - D(h)) / 3."""
    g = g.reshape(4, q, q)
    hess = (4 * (g[0] - g[1]) / h[:, None] - (g[2] - g[3]) / (2 * h[:, None])) / 3
    return -(hess + hess.T) / 2


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
    """:func:`psyalliance.sem.fitstats.numerical_hessian` of ``f`` with every point evaluated in one call.

    ``f_batch``: K x q parameter rows -> K values. Steps ``h = rel_step * max(|theta_i|, 1)``
    and ``h / 2``, combined as ``(4 H(h/2) - H(h)) / 3``.
    """
    theta = np.asarray(theta, dtype=float)
    h = rel_step * np.maximum(np.abs(theta), 1.0)
    return (4 * _central_hessian_batch(f_batch, theta, h / 2) - _central_hessian_batch(f_batch, theta, h)) / 3


def numerical_gradient_batch(f_batch, theta: np.ndarray, rel_step: float = 1e-4) -> np.ndarray:
    """:func:`psyalliance.sem.fitstats.numerical_gradient` of ``f`` with every point evaluated in one call."""
    theta = np.asarray(theta, dtype=float)
    h = rel_step * np.maximum(np.abs(theta), 1.0)
    out = []
    for step in (h / 2, h):
        e = np.diag(step)
        f = f_batch(np.concatenate([theta + e, theta - e]))
        out.append((f[: theta.size] - f[theta.size:]) / (2 * step))
    return (4 * out[0] - out[1]) / 3


# ---------------------------------------------------------------------- the maximiser


def _cholesky(info: np.ndarray | None) -> np.ndarray | None:
    """The Cholesky factor of ``info``, or None if it is not positive definite (or None)."""
    if info is None:
        return None
    try:
        return np.linalg.cholesky(info)
    except np.linalg.LinAlgError:
        return None


def _newton(lik: PathLikelihood, theta: np.ndarray) -> tuple[np.ndarray, str]:
    """Newton steps with step halving from ``theta``; (theta, "") at convergence, else (theta, why).

    Each step uses the observed information (:meth:`PathLikelihood.gradient_and_hessian`) or, where
    that is not positive definite (far from the maximum), the expected information (a scoring step).
    """
    value = lik.loglik(theta)
    if not np.isfinite(value):
        return theta, "the start implies a covariance matrix that is not positive definite"
    for _ in range(MAX_STEPS):
        try:
            g, info = lik.gradient_and_hessian(theta)
        except EngineError:  # a difference step left the positive-definite region
            g, info = lik.gradient(theta), None
        factor = _cholesky(info)
        if factor is None:  # far from the maximum: a scoring step
            factor = _cholesky(lik.expected_information(theta))
        if factor is None:
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

    Newton steps (``_newton``: the observed information, or the expected one where that is not
    positive definite); where they stop short, scipy's BFGS with the analytic gradient, then Newton
    steps again from its point.
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
    complete cases, their moments). The same estimate as :func:`psyalliance.sem.fitstats.em_saturated`
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
