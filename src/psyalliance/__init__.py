"""psyalliance: the code behind the open textbook replicating Levin et al. (2024).

Modules, one idea each: ``facts`` (the published numbers), ``population``
(target moments), ``simulate`` (simulated datasets), ``models`` (path models),
``effects`` (indirect effects), ``montecarlo`` (sampling experiments) and
``figures`` (the book's figures).
"""

from psyalliance.facts import Facts, FactsError, load_facts
from psyalliance.models import MODELS, fit_model
from psyalliance.ledger import claims_ledger

__all__ = ["Facts", "FactsError", "load_facts"]
__all__ += ["MODELS", "fit_model", "claims_ledger"]
__version__ = "0.1.0"
