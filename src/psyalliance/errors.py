"""The ground of the package: its error types, and the checks of arguments that raise them.

Every public function of the package that takes a seed, a count, a share or a long job checks it here before
doing any work, so that bad input gets one clear message naming the bad value and the valid range, never a
silent answer and never a traceback from deep inside numpy, semopy or yaml:

* the error types: :class:`InputError` and its kinds (:class:`ModelError`, :class:`DataError`,
  :class:`SettingsError`, :class:`ResourceError`);
* :func:`check_seed`, :func:`check_count`, :func:`check_fraction`: settings;
* :func:`check_weights`: shares that must sum to 1;
* :func:`check_memory`: a long job's estimated memory against what the machine has.

The checks of data against the study's scales are :mod:`psyalliance.study.datacheck`; the model-syntax checks
(empty syntax, self-loops, cycles, ``a*b*x``) are :mod:`psyalliance.sem.syntax`. This module imports nothing
from the package: every layer may import it.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

__all__ = ["InputError", "ModelError", "DataError", "SettingsError", "ResourceError",
           "check_seed", "check_count", "check_fraction", "check_weights", "available_memory", "check_memory"]


class InputError(ValueError):
    """Bad input to the package: the message names the value and the valid range."""


class ModelError(InputError):
    """A model cannot be fitted: unknown name, bad syntax, missing columns, too little data, no convergence."""


class DataError(ModelError):
    """A dataset holds a value the analysis cannot use (not numeric, inf, outside the scale, no variation)."""


class SettingsError(InputError):
    """A settings value (seed, count, share, level) is outside its valid range."""


class ResourceError(InputError):
    """A job would need more memory (or time) than the machine can give it."""


def _fmt(x: float) -> str:
    return f"{x:g}"


def check_seed(seed: Any, what: str = "seed") -> int:
    """A seed must be a whole number >= 0 (an int or numpy integer, not a bool); returns it as int."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SettingsError(f"{what} = {seed!r} is not allowed; a seed is a whole number >= 0 "
                            "(it goes to numpy.random.default_rng)")
    return int(seed)


def check_count(value: Any, what: str, low: int = 1, high: int | None = None) -> int:
    """A whole number in [low, high] (an int or numpy integer, not a bool); returns it as int."""
    ok = not isinstance(value, bool) and isinstance(value, (int, np.integer))
    if not ok or value < low or (high is not None and value > high):
        rng = f">= {low}" if high is None else f"from {low} to {high}"
        raise SettingsError(f"{what} = {value!r} is not allowed; it must be a whole number {rng}")
    return int(value)


def check_fraction(value: Any, what: str, low: float = 0.0, high: float = 1.0, open_: bool = True) -> float:
    """A finite real number strictly between (``open_``) or within [low, high]; returns it as float."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    v = float(value) if ok else math.nan
    inside = (low < v < high) if open_ else (low <= v <= high)
    if not ok or not inside:
        rng = f"strictly between {_fmt(low)} and {_fmt(high)}" if open_ else f"from {_fmt(low)} to {_fmt(high)}"
        raise SettingsError(f"{what} = {value!r} is not allowed; it must be a number {rng}")
    return v


def check_weights(weights: Any, what: str = "weights", tol: float = 1e-9) -> np.ndarray:
    """Shares: finite, >= 0 and summing to 1 (within ``tol``); returns them as a float array."""
    w = np.asarray(weights, dtype=float).ravel()
    if w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise SettingsError(f"{what} = {w.tolist()} must be finite shares >= 0")
    if abs(w.sum() - 1) > tol:
        raise SettingsError(f"{what} sum to {w.sum():.6g}; shares must sum to 1 (within {tol:g})")
    return w


def available_memory() -> int:
    """Bytes of memory available to a new job: ``MemAvailable`` of /proc/meminfo, else free physical pages."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 2**63


MEMORY_SHARE = 0.8
"""A job may use at most this share of the available memory."""


def check_memory(nbytes: float, what: str, hint: str, available: int | None = None) -> None:
    """Refuse a job whose estimated peak memory ``nbytes`` exceeds ``MEMORY_SHARE`` of what is available.

    ``what`` names the job and its settings, ``hint`` what to lower. Raises
    :class:`ResourceError` giving both numbers in GB.
    """
    avail = available_memory() if available is None else available
    if nbytes > MEMORY_SHARE * avail:
        raise ResourceError(f"{what} would need about {_gb(nbytes)} GB of memory at once; "
                            f"{_gb(avail)} GB are available (at most {MEMORY_SHARE:.0%} may be used). {hint}")


def _gb(nbytes: float) -> str:
    gb = nbytes / 1e9
    return f"{gb:,.0f}" if gb >= 100 else f"{gb:.3g}"
