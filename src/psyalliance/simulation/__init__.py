"""The simulated data: the target population the paper implies, and the datasets drawn from it. Layer 2.

* :mod:`~psyalliance.simulation.population`: target means, SDs and the completed correlation matrix;
* :mod:`~psyalliance.simulation.simulate`: the simulated datasets, the committed one and its reader.

May import: the ground and :mod:`psyalliance.study`.
"""
