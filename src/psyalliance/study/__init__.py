"""The study: what the paper says. Layer 1, above the ground.

* :mod:`~psyalliance.study.facts`: the published numbers (``data/levin2024_facts.yaml``), validated;
* :mod:`~psyalliance.study.instruments`: the questionnaires' items and scoring, the readable names of the
  dataset's columns;
* :mod:`~psyalliance.study.datacheck`: checks of data against the instruments' ranges, and of a dataset file.

May import: the ground (:mod:`psyalliance.errors`, :mod:`psyalliance.resources`, ``psyalliance.fmt``).
"""
