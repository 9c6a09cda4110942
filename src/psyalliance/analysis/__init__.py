"""The paper's analyses recomputed on the simulated data: the correlation table, the alliance change. Layer 4.

* :mod:`~psyalliance.analysis.correlations`: Pearson r with pairwise-complete n, p and Fisher-z intervals;
* :mod:`~psyalliance.analysis.alliance`: the paired change of the alliance ratings.

May import: the ground, :mod:`psyalliance.study`, :mod:`psyalliance.simulation`, :mod:`psyalliance.sem`.
"""
