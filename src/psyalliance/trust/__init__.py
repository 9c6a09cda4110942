"""How far n = 24 can be trusted: Monte Carlo, sensitivity, robustness, ignorability, power. Layer 5.

* :mod:`~psyalliance.trust.montecarlo`: coverage, bias and power of the path models by n;
* :mod:`~psyalliance.trust.sensitivity`: equivalent models, and power as each assumed correlation moves;
* :mod:`~psyalliance.trust.robustness`: bounded and incomplete data, the chi-square's type I error;
* :mod:`~psyalliance.trust.ignorability`: an indirect effect's sensitivity to a mediator-outcome confounder;
* :mod:`~psyalliance.trust.power`: the power of a simple mediation by n, simulated and in closed form.

May import: every layer below (the ground, study, simulation, sem, analysis).
"""
