"""psyalliance: the code behind the open textbook replicating Levin et al. (2024) with simulated data.

Subpackages by layer, from the ground up; each imports only from the layers below it (``tests/test_layers.py``):

* the ground: :mod:`psyalliance.errors` (the error types and the checks of arguments) and
  :mod:`psyalliance.resources` (where the shipped data are), importing nothing of the package;
* :mod:`psyalliance.study`: what the paper says (the facts, the instruments, checks of data against them);
* :mod:`psyalliance.simulation`: the target population and the simulated datasets;
* :mod:`psyalliance.sem`: the path-model engine (syntax, the registry of models, fitting, fit statistics,
  effects, lavaan's reference, small-sample tests, path labels);
* :mod:`psyalliance.analysis`: the correlation table, the alliance change;
* :mod:`psyalliance.trust`: Monte Carlo, sensitivity, robustness, ignorability, power;
* :mod:`psyalliance.audit` (the published numbers checked, the claims ledger) and :mod:`psyalliance.figures`
  (every figure), neighbours that know nothing of each other;
* :mod:`psyalliance.teaching`: primer helpers, self-checks and answers, assignments, grading, syllabus.

The public API for re-running the analyses: :data:`MODELS`, :func:`fit_model`,
:func:`claims_ledger` and :func:`load_facts`; the API page of the book's appendix lists the rest.
"""

from psyalliance.audit.ledger import claims_ledger
from psyalliance.sem.models import fit_model
from psyalliance.sem.registry import MODELS
from psyalliance.study.facts import Facts, FactsError, load_facts

__all__ = ["Facts", "FactsError", "load_facts", "MODELS", "fit_model", "claims_ledger"]
__version__ = "0.1.0"  # the one place: pyproject.toml reads it; CHANGELOG.md and the git tag v0.1.0 follow it
