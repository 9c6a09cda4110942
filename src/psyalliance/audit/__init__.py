"""The published numbers checked: against one another, and against the simulated data (the claims ledger). Layer 6.

* :mod:`~psyalliance.audit.audit`: p from r over rounding, GRIM, matrix feasibility, Holm and Benjamini-Hochberg;
* :mod:`~psyalliance.audit.ledger`: the claims ledger, the replication scorecard.

May import: every layer below (ground to trust); not :mod:`psyalliance.figures`, its neighbour.
"""
