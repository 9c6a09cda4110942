"""psyalliance: the code behind the open textbook replicating Levin et al. (2024) with simulated data.

Modules, one idea each:

* ``facts``: the published numbers (``data/levin2024_facts.yaml``), validated;
* ``timeline``: the trial's timeline as a table and a figure;
* ``population``: target means, SDs and the completed correlation matrix;
* ``instruments`` and ``simulate``: items, scoring and the simulated datasets;
* ``alliance`` and ``correlations``: the paper's change score and correlation table, recomputed;
* ``syntax``: the one reader of lavaan-style model syntax;
* ``models`` and ``fitstats``: the path models fitted with semopy, fit statistics under lavaan conventions;
* ``lavaan``: R lavaan's stored results as the reference, and comparisons with ours;
* ``paths``: a batched estimator for recursive path models (ML = per-equation OLS);
* ``effects``: direct, indirect and total effects with bootstrap intervals;
* ``montecarlo`` and ``sensitivity``: how far n = 24 can be trusted;
* ``smallsample``: Bartlett and Swain corrections of the chi-square, the Bollen-Stine bootstrap;
* ``robustness``: the Monte Carlo under bounded and incomplete data (listwise, FIML, auxiliary variable),
  the chi-square's type I error and the family-wise error rate of path tests;
* ``ignorability``: sensitivity of an indirect effect to a mediator-outcome confounder (Imai's rho);
* ``ledger``: the claims ledger (the replication scorecard);
* ``audit``: the published numbers checked against one another (p from r over rounding, GRIM, matrix
  feasibility, Holm and Benjamini-Hochberg);
* ``answers``: the expected answers of the computable exercises;
* ``nested``: the exact F test beside the likelihood-ratio chi-square for nested regressions;
* ``syntax``: the one reader of model syntax (refuses self-loops, cycles, empty syntax ...);
* ``validation``: the error types and the checks of user input (data, scales, seeds, memory);
* ``primer``: df and parameter counts of a syntax, lavaan-convention fit statistics of a plain
  ``semopy.Model``, the conventional fit cut-offs (``data/fit_cutoffs.yaml``) and the RMSEA false-alarm rate;
* ``figures``, ``diagrams``, ``powerplots``, ``robustplots``: the book's figures;
* ``selfcheck`` and ``answers``: the exercises' self-checks and their expected answers, computed on call;
* ``assignments`` and ``studentdata``: student and instructor notebooks, a simulated dataset per student.

The public API for re-running the analyses: :data:`MODELS`, :func:`fit_model`,
:func:`claims_ledger` and :func:`load_facts`.
"""

from psyalliance.audit.ledger import claims_ledger
from psyalliance.sem.models import fit_model
from psyalliance.sem.registry import MODELS
from psyalliance.study.facts import Facts, FactsError, load_facts

__all__ = ["Facts", "FactsError", "load_facts", "MODELS", "fit_model", "claims_ledger"]
__version__ = "0.1.0"  # the one place: pyproject.toml reads it; CHANGELOG.md and the git tag v0.1.0 follow it
