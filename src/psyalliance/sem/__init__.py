"""The path-model engine: model syntax, the registry of models, fitting, fit statistics, effects. Layer 3.

* :mod:`~psyalliance.sem.syntax`: the one reader of lavaan-style model syntax;
* :mod:`~psyalliance.sem.registry`: the book's models and their named effects, as data;
* :mod:`~psyalliance.sem.models`, :mod:`~psyalliance.sem.mlfit`, :mod:`~psyalliance.sem.fitstats`: fitting with
  semopy and the own ML engine, fit statistics under lavaan's conventions;
* :mod:`~psyalliance.sem.paths`, :mod:`~psyalliance.sem.effects`: the batched OLS estimator, direct, indirect and
  total effects with bootstrap intervals;
* :mod:`~psyalliance.sem.pathlabels`: paths and effects in words;
* :mod:`~psyalliance.sem.lavaan`, :mod:`~psyalliance.sem.randommodels`: R lavaan's stored output as the
  reference, and random models compared with it;
* :mod:`~psyalliance.sem.smallsample`, :mod:`~psyalliance.sem.nested`: small-sample corrections of the
  chi-square, the Bollen-Stine bootstrap, the F test of nested regressions.

May import: the ground, :mod:`psyalliance.study` and :mod:`psyalliance.simulation` (the book's dataset, which
the lavaan reference was fitted to).
"""
