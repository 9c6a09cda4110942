"""The claims ledger: every published number, recomputed on the committed simulated dataset, with a verdict.

Verdicts (see :class:`Tolerances` for the exact rules):

* ``reproduced``: the recomputed value, rounded as the paper printed it, equals
  the published value (for a qualitative claim: it holds as worded);
* ``approximated``: it misses at the printed precision but lies within the
  stated tolerance (a correlation within .10, a p value on the same side of
  .05, a mean within one GRID-HAMD point, a count within one participant ...);
  a qualitative claim of a significant correlation is approximated when its
  direction holds and its r is within .10 of the r the simulation assumed,
  but p misses .05 because that assumed r is below the smallest ``|r|`` that is
  significant at the available n (:func:`psyalliance.analysis.correlations.r_threshold`);
* ``not reproduced``: the recomputed value is wrong: outside the tolerance,
  on the other side of .05, of the opposite sign, or a qualitative claim that
  does not hold on the data;
* ``not reproducible without the data``: only where that is the reason: the
  claim needs something no simulated dataset can supply (the paper's own
  models, tests or formulas), or the value cannot be computed from the data.

A match on simulated data shows that the simulation reproduces the published
summary numbers; it is not evidence that the finding replicates. Each row's
``why`` says how the verdict was reached, its ``source`` where the published
number comes from (paper, trial, release, inferred, assumption, as in the
facts file), and ``by_construction`` whether the simulation was built to hit
it (a target of :func:`psyalliance.simulation.simulate.simulate_dataset`'s exact method,
or a check that only reads correlations the simulation fixed), so that a
"reproduced" there is circular.

Three columns carry the verdicts of :mod:`psyalliance.audit`, which checks the
published numbers against one another (no data needed): ``audit_consistent``
("yes"/"no": for a correlation, whether the printed p is what the printed r
gives at the book's n over the rounding of both; for a percentage, whether a
whole number of the participants rounds to it), ``audit_holm`` and
``audit_bh`` ("significant"/"not significant" at .05 after Holm and after
Benjamini-Hochberg across the published correlations). Empty where a check
does not apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from psyalliance.analysis.alliance import paired_change
from psyalliance.analysis.correlations import format_p, pearson, r_threshold
from psyalliance.audit.audit import grim_percentages, published_consistency
from psyalliance.fmt import bounded
from psyalliance.simulation.population import target_population
from psyalliance.simulation.simulate import DATASET_PATH, check_root, load_dataset  # noqa: F401  (DATASET_PATH re-exported)  # noqa: F401  (DATASET_PATH re-exported)
from psyalliance.study.datacheck import check_data
from psyalliance.study.facts import DATA_DIR, Facts, load_facts
from psyalliance.study.instruments import LABELS

VERDICTS = ("reproduced", "approximated", "not reproduced", "not reproducible without the data")
"""The four verdicts, best first; the last is for claims no simulated dataset can check."""

NOT_REPRODUCED, NOT_CHECKABLE = "not reproduced", "not reproducible without the data"

LEDGER_PATH = DATA_DIR / "simulated" / "claims_ledger.csv"
"""The committed copy of the ledger: ``make data`` writes it (:func:`main`); no chapter or test writes it."""

COLUMNS = ("section", "claim", "published", "recomputed", "verdict", "why", "source", "by_construction", "cite",
           "published_value", "recomputed_value", "audit_consistent", "audit_holm", "audit_bh")
"""Columns of the ledger; ``claim, published, recomputed, verdict`` first in importance."""

SOURCES = ("paper", "trial", "release", "inferred", "assumption")
"""Where a published number comes from (the facts file's ``source``)."""

CONSTRUCTED_OUTCOMES = ("responders_12mo", "remitters_12mo")
"""The response/remission counts the exact simulation targets (the others are not targets)."""

ALPHA = 0.05
"""The significance level the qualitative claims are read against (the paper's convention)."""


@dataclass(frozen=True)
class Tolerances:
    """How close is close enough for ``approximated`` (units of the quantity judged)."""

    r: float = 0.10
    d: float = 0.10
    hamd_points: float = 1.0
    years: float = 1.0
    participants: int = 1


def _dec(x: float, k: int) -> float:
    return float(np.round(x, k))


def judge_value(published: float, recomputed: float, decimals: int, tolerance: float, what: str
                ) -> tuple[str, str]:
    """Verdict for a number printed with ``decimals`` decimals: equal when rounded, or within ``tolerance``."""
    if not np.isfinite(recomputed):
        return NOT_CHECKABLE, f"the {what} cannot be computed from the simulated data"
    rounded = _dec(recomputed, decimals)
    diff = recomputed - published
    if abs(rounded - published) < 10 ** (-decimals) / 2:
        return VERDICTS[0], f"{recomputed:.{decimals + 2}f} rounds to the published {published:.{decimals}f}"
    if abs(diff) <= tolerance:
        return VERDICTS[1], f"{recomputed:.{decimals + 2}f} is {diff:+.{decimals + 1}f} from {published:.{decimals}f}, within ±{tolerance:g}"
    return NOT_REPRODUCED, (f"{recomputed:.{decimals + 2}f} is {diff:+.{decimals + 1}f} from {published:.{decimals}f}, "
                         f"beyond ±{tolerance:g}: the simulation does not pin this number")


def judge_p(published: float, op: str, recomputed: float, decimals: int = 3) -> tuple[str, str]:
    """Verdict for a p value printed as ``= published`` (with ``decimals`` decimals) or ``< published``."""
    if op == "<":
        if recomputed < published:
            return VERDICTS[0], f"p = {recomputed:.2g} is below the published bound {published:.3f}"
        if recomputed < ALPHA:
            return VERDICTS[1], f"p = {recomputed:.4f} is not below {published:.3f} but is below {ALPHA}"
        return NOT_REPRODUCED, f"p = {recomputed:.4f} is not significant at {ALPHA}"
    if abs(_dec(recomputed, decimals) - published) < 10 ** (-decimals) / 2:
        return VERDICTS[0], f"p = {recomputed:.4f} rounds to the published {published:.{decimals}f}"
    if (recomputed < ALPHA) == (published < ALPHA):
        return VERDICTS[1], (f"p = {recomputed:.4f} differs from {published:.3f} but is on the same side of {ALPHA}"
                             " (the real n behind the p is only inferred)")
    return NOT_REPRODUCED, f"p = {recomputed:.4f} and the published {published:.3f} fall on opposite sides of {ALPHA}"


def judge_count(published: float, recomputed: float, tolerance: float, what: str) -> tuple[str, str]:
    """Verdict for a count or a whole-number percentage."""
    if round(recomputed) == round(published) and abs(recomputed - round(recomputed)) < 0.5:
        return VERDICTS[0], f"{what}: {recomputed:g} equals the published {published:g}"
    if abs(recomputed - published) <= tolerance:
        return VERDICTS[1], f"{what}: {recomputed:g} is within {tolerance:.3g} of the published {published:g}"
    return NOT_REPRODUCED, f"{what}: {recomputed:g} is more than {tolerance:.3g} from the published {published:g}"


def _row(section: str, claim: str, published: str, recomputed: str, verdict: tuple[str, str], source: str,
         cite: str, pub_value: float = np.nan, rec_value: float = np.nan, by_construction: bool = True,
         audit: tuple[str, str, str] = ("", "", "")) -> dict:
    if source not in SOURCES:  # pragma: no cover - the facts file is validated
        raise ValueError(f"source {source!r} is not one of {', '.join(SOURCES)}")
    return dict(section=section, claim=claim, published=published, recomputed=recomputed, verdict=verdict[0],
                why=verdict[1], source=source, by_construction=bool(by_construction), cite=cite,
                published_value=pub_value, recomputed_value=rec_value, audit_consistent=audit[0],
                audit_holm=audit[1], audit_bh=audit[2])


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _sig(flag: bool) -> str:
    return "significant" if flag else "not significant"


def _fmt_r(r: float) -> str:
    return bounded(r, 2)


def _fmt_p(p: float) -> str:
    return bounded(p, 3)


def _correlation_rows(data: pd.DataFrame, facts: Facts, tol: Tolerances) -> list[dict]:
    rows = []
    audit = published_consistency(facts)
    for rec, a in zip(facts.correlations.itertuples(), audit.itertuples()):
        verdicts = (_yes(a.consistent), _sig(a.holm), _sig(a.bh))
        c = pearson(data, rec.x, rec.y)
        pair = f"{LABELS.get(rec.x, rec.x)} - {LABELS.get(rec.y, rec.y)}"
        rows.append(_row("correlations", f"r, {pair}", _fmt_r(rec.r), f"{_fmt_r(c.r)} (n = {c.n})",
                         judge_value(rec.r, c.r, 2, tol.r, "correlation"), rec.source, rec.cite, rec.r, c.r,
                         audit=verdicts))
        op = "< " if rec.p_op == "<" else ""
        v = judge_p(rec.p, rec.p_op, c.p)
        if np.sign(c.r) != np.sign(rec.r):
            v = (NOT_REPRODUCED, f"the recomputed r = {_fmt_r(c.r)} has the opposite sign, so its p = {c.p:.4f} "
                              "says nothing about the published one")
        shown = f"{c.p:.4f}" if c.p >= 0.001 else f"{c.p:.1e}"
        v = (v[0], v[1] + f"; the n = {rec.n} behind the published p was back-solved from this r and p, so the p "
                          "follows from the r")
        rows.append(_row("correlations", f"p, {pair}", f"{op}{_fmt_p(rec.p)}", f"{shown} (n = {c.n})",
                         v, rec.source, rec.cite, rec.p, c.p, audit=verdicts))
    return rows


def _alliance_rows(data: pd.DataFrame, facts: Facts, tol: Tolerances) -> list[dict]:
    ac = facts.alliance_change.set_index("name")
    ch = paired_change(data, ac.loc["p", "x"], ac.loc["p", "y"])
    p_pub, d_pub = float(ac.loc["p", "value"]), float(ac.loc["d", "value"])
    v = judge_p(p_pub, "=", ch.p, decimals=2)
    p_why = v[1] + f"; paired t({ch.df}) = {ch.t:.2f} on {ch.n} complete pairs (the paper's test is not reported)"
    vd = judge_value(d_pub, ch.d_av, 2, tol.d, "d")
    d_why = vd[1] + f" (d_av; d_z would be {ch.d_z:.2f}; the paper's formula is not reported)"
    return [
        _row("alliance change", "alliance change, preparation to 1 wk after session 2: p", f"{p_pub:.2f}",
             f"{ch.p:.4f}", (v[0], p_why), ac.loc["p", "source"], ac.loc["p", "cite"], p_pub, ch.p),
        _row("alliance change", "alliance change: effect size d", f"{d_pub:.2f}", f"{ch.d_av:.3f} (d_av)",
             (vd[0], d_why), ac.loc["d", "source"], ac.loc["d", "cite"], d_pub, ch.d_av),
    ]


def _hamd_rows(data: pd.DataFrame, facts: Facts, tol: Tolerances) -> list[dict]:
    rows = []
    for rec in facts.hamd.itertuples():
        x = data[rec.name].astype(float).dropna()
        label = LABELS.get(rec.name, rec.name)
        rows.append(_row("GRID-HAMD", f"mean GRID-HAMD, {label}", f"{rec.mean:.1f}", f"{x.mean():.2f}",
                         judge_value(rec.mean, x.mean(), 1, tol.hamd_points, "mean"), rec.source, rec.cite,
                         rec.mean, x.mean()))
        if rec.sd is not None and np.isfinite(rec.sd):
            v = judge_value(rec.sd, x.std(ddof=1), 1, tol.hamd_points, "SD")
            why = v[1] + ("" if rec.sd_source == "trial" else f" (the published SD is {rec.sd_source}, not printed)")
            rows.append(_row("GRID-HAMD", f"SD GRID-HAMD, {label}", f"{rec.sd:.1f}", f"{x.std(ddof=1):.2f}",
                             (v[0], why), rec.sd_source if rec.sd_source != "none" else rec.source, rec.cite,
                             rec.sd, x.std(ddof=1)))
    return rows


_OUTCOME_COLUMNS = ("hamd_1wk", "hamd_4wk", "hamd_12mo")
"""The GRID-HAMD waves of the response and remission claims."""


def _outcome_rows(data: pd.DataFrame, facts: Facts, tol: Tolerances) -> list[dict]:
    out = facts.outcomes.set_index("name")
    drop = float(out.loc["response_drop_fraction", "value"])
    cut = float(out.loc["remission_max", "value"])
    base = data["hamd_baseline"].astype(float)
    grim = grim_percentages(facts).set_index("name")["consistent"]
    rows = []
    specs = [
        ("response_1wk_pct", "hamd_1wk", "response", True), ("response_4wk_pct", "hamd_4wk", "response", True),
        ("remission_1wk_pct", "hamd_1wk", "remission", True), ("remission_4wk_pct", "hamd_4wk", "remission", True),
        ("responders_12mo", "hamd_12mo", "response", False), ("remitters_12mo", "hamd_12mo", "remission", False),
    ]
    for name, col, kind, pct in specs:
        t = data[col].astype(float)
        ok = t.notna() & base.notna()
        hit = ((base - t) / base >= drop) if kind == "response" else (t <= cut)
        count = int(hit[ok].sum())
        value = 100 * count / int(ok.sum()) if pct else count
        published = float(out.loc[name, "value"])
        tolerance = 100 * tol.participants / int(ok.sum()) if pct else tol.participants
        v = judge_count(published, round(value) if pct else value, tolerance, f"{count} of {int(ok.sum())}")
        rows.append(_row("outcomes", f"{kind} at {LABELS[col].split(', ')[1]}" + (" (%)" if pct else " (participants)"),
                         f"{published:g}" + ("%" if pct else ""), f"{value:.1f}%" if pct else f"{count}",
                         v, out.loc[name, "source"], out.loc[name, "cite"], published, value,
                         by_construction=name in CONSTRUCTED_OUTCOMES,
                         audit=(_yes(bool(grim[name])), "", "") if name in grim.index else ("", "", "")))
    return rows


def _sample_rows(data: pd.DataFrame, facts: Facts, tol: Tolerances) -> list[dict]:
    des = facts.design.set_index("name")
    smp = facts.sample.set_index("name")
    rows = []
    n = len(data)
    rows.append(_row("sample", "participants analysed", f"{des.loc['n_analysed', 'value']:g}", f"{n}",
                     judge_count(float(des.loc["n_analysed", "value"]), n, 0, "rows"),
                     des.loc["n_analysed", "source"], des.loc["n_analysed", "cite"],
                     float(des.loc["n_analysed", "value"]), n))
    if "arm" in data.columns:
        arm = data["arm"].astype(str).str.lower()
        for key, word in (("n_immediate", "immediate"), ("n_delayed", "delayed")):
            k = int(arm.str.startswith(word).sum())
            pub = float(des.loc[key, "value"])
            rows.append(_row("sample", f"completers in the {word} arm", f"{pub:g}", f"{k}",
                             judge_count(pub, k, tol.participants, "participants"), des.loc[key, "source"],
                             des.loc[key, "cite"], pub, k))
    if "age" in data.columns:
        age = data["age"].astype(float)
        for key, val, what in (("age_mean", age.mean(), "mean age (years)"), ("age_sd", age.std(ddof=1), "SD of age (years)")):
            pub = float(smp.loc[key, "value"])
            rows.append(_row("sample", what, f"{pub:.1f}", f"{val:.2f}", judge_value(pub, val, 1, tol.years, what),
                             smp.loc[key, "source"], smp.loc[key, "cite"], pub, val))
    if "sex" in data.columns:
        sex = data["sex"].astype(str).str.strip().str.lower()
        women = int(sex.isin(["female", "f", "woman", "women", "w"]).sum())
        pub = float(smp.loc["n_women", "value"])
        rows.append(_row("sample", "women among the completers", f"{pub:g}", f"{women}",
                         judge_count(pub, women, tol.participants, "participants"), smp.loc["n_women", "source"],
                         smp.loc["n_women", "cite"], pub, women))
    return rows


Pair = tuple[str, str, int]
"""(x, y, sign): a correlation claimed significant (p < .05) with that sign (+1, -1), or not significant (0)."""


@dataclass(frozen=True)
class QualitativeClaim:
    """A claim in words and how to read it on a dataset.

    ``pairs``: the correlations the claim is about (see :data:`Pair`); all must hold.
    ``check``: for a claim that is not about correlations, a function returning
    (holds?, what was found); ``None`` with no pairs: the claim cannot be checked.
    ``by_construction``: whether the simulation was built to hit it; ``None``
    derives it from ``pairs`` (true when every pair is a fixed entry of the
    target population: published, assumed or inferred, not completed).
    """

    claim: str
    source: str
    cite: str
    pairs: tuple[Pair, ...] = ()
    check: Callable[[pd.DataFrame], tuple[bool, str]] | None = None
    by_construction: bool | None = None


def _alliance_rose(d: pd.DataFrame) -> tuple[bool, str]:
    ch = paired_change(d)
    return (ch.mean_diff > 0 and ch.p < ALPHA), f"mean change {ch.mean_diff:+.2f}, p = {ch.p:.3f}"


_FOLLOW_UPS = ("hamd_4wk", "hamd_3mo", "hamd_6mo", "hamd_12mo")

QUALITATIVE = (
    QualitativeClaim("The alliance grew from the end of preparation to one week after session 2",
                     "paper", "levin2024", check=_alliance_rose, by_construction=True),
    QualitativeClaim("A stronger preparation alliance went with more mystical and more insightful experiences",
                     "release", "jhu2024", (("alliance_prep", "mystical_peak", 1), ("alliance_prep", "insight_peak", 1))),
    QualitativeClaim("Acute effects went with lower depression at 4 weeks", "release", "jhu2024",
                     (("mystical_peak", "hamd_4wk", -1), ("insight_peak", "hamd_4wk", -1))),
    QualitativeClaim("Mystical experience was not related to depression at 12 months", "release", "jhu2024",
                     (("mystical_peak", "hamd_12mo", 0),)),
    QualitativeClaim("Insight still predicted lower depression at 12 months", "release", "jhu2024",
                     (("insight_peak", "hamd_12mo", -1),)),
    QualitativeClaim("Acute effects went with a further strengthening of the alliance (final rating)", "release",
                     "jhu2024", (("mystical_peak", "alliance_post2", 1), ("insight_peak", "alliance_post2", 1))),
    QualitativeClaim("The alliance-outcome link persisted: final alliance and depression at every follow-up",
                     "release", "jhu2024", tuple(("alliance_post2", w, -1) for w in _FOLLOW_UPS)),
    QualitativeClaim("Preparation alliance and 3-month depression: not reported, so presumably not significant",
                     "inferred", "levin2024", (("alliance_prep", "hamd_3mo", 0),)),
    QualitativeClaim("The paper's own path or mediation models and their coefficients", "paper", "levin2024",
                     by_construction=False),
)
"""The narrative claims, each with the pairs or the check that reads it on a dataset (neither: cannot be checked)."""


def assumed_r(facts: Facts, x: str, y: str) -> tuple[float, str] | None:
    """The r the simulation was built with for the pair (published, else the facts file's assumption), and its source."""
    for table in (facts.correlations, facts.correlation_assumptions):
        hit = table[((table.x == x) & (table.y == y)) | ((table.x == y) & (table.y == x))]
        if len(hit):
            return float(hit["r"].iloc[0]), str(hit["source"].iloc[0])
    return None


def _fixed_pairs() -> set[frozenset]:
    st = target_population().status
    return {frozenset((x, y)) for x, y, s in zip(st.x, st.y, st.status) if s in ("published", "assumed", "inferred")}


def _judge_pairs(data: pd.DataFrame, q: QualitativeClaim, facts: Facts, tol: Tolerances) -> tuple[str, str, str]:
    """(recomputed, verdict, why) of a claim about correlations."""
    found, short = [], []
    for x, y, sign in q.pairs:
        c = pearson(data, x, y)
        shown_p = format_p(c.p)
        text = f"r = {_fmt_r(c.r)}, p {shown_p if shown_p.startswith('<') else '= ' + shown_p} (n = {c.n})"
        if sign == 0:
            if c.p < ALPHA:
                found.append(text)
                return "does not hold", NOT_REPRODUCED, "does not hold on the simulated data: " + "; ".join(found)
        elif np.sign(c.r) != sign:
            found.append(text)
            return "does not hold", NOT_REPRODUCED, "does not hold on the simulated data (wrong sign): " + "; ".join(found)
        elif c.p >= ALPHA:
            ref = assumed_r(facts, x, y)
            crit = r_threshold(c.n, ALPHA)
            if ref is None or abs(ref[0]) >= crit or abs(c.r - ref[0]) > tol.r:
                found.append(text)
                return "does not hold", NOT_REPRODUCED, "does not hold on the simulated data: " + "; ".join(found)
            short.append(f"{text}: the direction and size are there, significance is not, because the assumed "
                         f"r = {_fmt_r(ref[0])} (facts file, source {ref[1]}) is smaller in size than {_fmt_p(crit)}, "
                         f"the smallest |r| with p < {f'{ALPHA:g}'.lstrip('0')} at n = {c.n}; the simulation could not be expected to reach significance")
            continue
        found.append(text)
    if short:
        return ("direction holds, not significant", VERDICTS[1],
                "; ".join(short + ([f"the other part{'s' if len(found) > 1 else ''} hold{'' if len(found) > 1 else 's'}: "
                                    + "; ".join(found)] if found else [])))
    return "holds", VERDICTS[0], "holds on the simulated data: " + "; ".join(found)


def _qualitative_rows(data: pd.DataFrame, facts: Facts, tol: Tolerances) -> list[dict]:
    rows = []
    fixed = _fixed_pairs()
    for q in QUALITATIVE:
        built = q.by_construction if q.by_construction is not None else \
            all(frozenset((x, y)) in fixed for x, y, _ in q.pairs)
        if q.pairs:
            recomputed, verdict, why = _judge_pairs(data, q, facts, tol)
        elif q.check is not None:
            holds, found = q.check(data)
            recomputed = "holds" if holds else "does not hold"
            verdict, why = (VERDICTS[0], f"holds on the simulated data: {found}") if holds else \
                (NOT_REPRODUCED, f"does not hold on the simulated data: {found}")
        else:
            recomputed, verdict = "-", NOT_CHECKABLE
            why = ("the paper's models, estimator and coefficients are not public; the book's path models "
                   "are reconstructions")
        rows.append(_row("qualitative", q.claim, "stated", recomputed, (verdict, why), q.source, q.cite,
                         by_construction=built))
    return rows


def required_columns(facts: Facts) -> list[str]:
    """The score columns the ledger reads: every variable of a published claim, in the facts file's order."""
    cols: list[str] = []
    pairs = [(x, y) for x, y in zip(facts.correlations.x, facts.correlations.y)]
    pairs += [(x, y) for x, y in zip(facts.alliance_change.x, facts.alliance_change.y)]
    pairs += [(x, y) for q in QUALITATIVE for x, y, _ in q.pairs]
    names = [v for pair in pairs for v in pair] + list(facts.hamd.name) + ["hamd_baseline", *_OUTCOME_COLUMNS]
    for v in names:
        if v not in cols:
            cols.append(v)
    return cols


def claims_ledger(data: pd.DataFrame | None = None, facts: Facts | None = None,
                  tolerances: Tolerances = Tolerances(), ranges=None) -> pd.DataFrame:
    """The replication scorecard: one row per published claim, recomputed on ``data``.

    ``data`` defaults to the committed simulated dataset; ``facts`` to the
    facts file. Columns: see :data:`COLUMNS` (``claim, published, recomputed,
    verdict`` plus ``why``, the section, the source and citation key, and the
    numeric values where there are any).

    The score columns (:func:`required_columns`) are checked first
    (:func:`psyalliance.study.datacheck.check_data`): present, numeric, finite and
    inside their instrument's range from the facts file (alliance item means
    1-5, MEQ30/PIQ item means 0-5, GRID-HAMD totals 0-52). ``ranges``: other
    scales for your own data (``{column or instrument: (low, high)}``), or
    False to skip the range check. Raises
    :class:`~psyalliance.errors.DataError` naming the column, the row,
    the value and the valid range.
    """
    data = load_dataset() if data is None else data
    facts = load_facts() if facts is None else facts
    check_data(data, required_columns(facts), ranges=ranges, func="claims_ledger", facts=facts)
    rows = (_sample_rows(data, facts, tolerances) + _correlation_rows(data, facts, tolerances)
            + _alliance_rows(data, facts, tolerances) + _hamd_rows(data, facts, tolerances)
            + _outcome_rows(data, facts, tolerances) + _qualitative_rows(data, facts, tolerances))
    ledger = pd.DataFrame(rows, columns=list(COLUMNS))
    bad = set(ledger["verdict"]) - set(VERDICTS)
    if bad:  # pragma: no cover - a programming error
        raise RuntimeError(f"unknown verdict(s) {bad}")
    return ledger


def verdict_counts(ledger: pd.DataFrame) -> pd.Series:
    """Number of claims per verdict, in the order of :data:`VERDICTS`."""
    return ledger["verdict"].value_counts().reindex(list(VERDICTS), fill_value=0)


CONSTRUCTION_LABELS = {True: "construction target", False: "not a construction target"}
"""Column labels of :func:`verdict_counts_by_construction`."""


def verdict_counts_by_construction(ledger: pd.DataFrame) -> pd.DataFrame:
    """Claims per verdict (rows, order of :data:`VERDICTS`), split by ``by_construction`` (columns), with totals."""
    tab = pd.crosstab(ledger["verdict"], ledger["by_construction"].astype(bool))
    tab = tab.reindex(index=list(VERDICTS), columns=[True, False], fill_value=0)
    tab.columns = [CONSTRUCTION_LABELS[c] for c in tab.columns]
    tab["all"] = tab.sum(axis=1)
    tab.loc["all"] = tab.sum(axis=0)
    tab.index.name = "verdict"
    return tab.astype(int)


def write_ledger(ledger: pd.DataFrame, path: str | Path) -> Path:
    """Write the ledger as CSV (UTF-8, no index) to ``path`` (no default: the committed copy is written by
    ``make data`` only), creating the folder; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ledger.to_csv(path, index=False, float_format="%.6g")
    return path


def main(argv: list[str] | None = None) -> None:
    """``python -m psyalliance.audit.ledger``: write the claims ledger of a dataset (default: the committed one)."""
    import argparse

    parser = argparse.ArgumentParser(description="Write the claims ledger of the simulated dataset.")
    parser.add_argument("--data", type=Path, default=DATASET_PATH, help="the dataset (default: the committed one)")
    parser.add_argument("--out", type=Path, default=LEDGER_PATH, help="the CSV to write")
    parser.add_argument("--expect-root", type=Path, default=None,
                        help="refuse to run unless the package is imported from this checkout")
    args = parser.parse_args(argv)
    check_root(args.expect_root)
    print("wrote", write_ledger(claims_ledger(load_dataset(args.data)), args.out))


if __name__ == "__main__":
    main()
