"""Shared test data for the path-model tests: random data and populations with known paths."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from psyalliance.sem.paths import get_model


def random_data(model, n, seed):
    m = get_model(model)
    rng = np.random.default_rng(seed)
    p = len(m.variables)
    a = rng.normal(size=(p, p))
    cov = a @ a.T + p * np.eye(p)
    x = rng.multivariate_normal(rng.normal(size=p) * 3, cov, size=n)
    return pd.DataFrame(x, columns=m.variables)


def structural_population(model, coef, resvar, rescov=None, extra=()):
    """Population moments of ``model`` from known path coefficients: Sigma = (I - B)^-1 Psi (I - B)^-T.

    Exogenous variables have unit variance and (if several) correlation 0.3.
    ``extra`` adds independent unit-variance variables (other columns the Monte Carlo draws).
    """
    m = get_model(model)
    names = list(m.variables) + [v for v in extra if v not in m.variables]
    pos = {v: i for i, v in enumerate(names)}
    k = len(names)
    b = np.zeros((k, k))
    for (label, y, x) in m.paths:
        b[pos[y], pos[x]] = coef[label]
    psi = np.eye(k)
    q = len(m.exogenous)
    for i in range(q):
        for j in range(q):
            if i != j:
                psi[i, j] = 0.3
    for y, v in resvar.items():
        psi[pos[y], pos[y]] = v
    for (y1, y2), v in (rescov or {}).items():
        psi[pos[y1], pos[y2]] = psi[pos[y2], pos[y1]] = v
    inv = np.linalg.inv(np.eye(k) - b)
    cov = pd.DataFrame(inv @ psi @ inv.T, index=names, columns=names)
    return SimpleNamespace(cov=cov, means=pd.Series(np.arange(k, dtype=float), index=names))


M1_TRUE = {"a1": 0.5, "a2": 0.4, "b1": -0.3, "b2": -0.5, "c": -0.2}
M1_RESVAR = {"mystical_peak": 0.75, "insight_peak": 0.84, "hamd_4wk": 0.6}
M1_RESCOV = {("mystical_peak", "insight_peak"): 0.3}


@pytest.fixture(scope="module")
def m1_population():
    return structural_population("m1_mediation", M1_TRUE, M1_RESVAR, M1_RESCOV)
