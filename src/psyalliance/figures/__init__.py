"""Every figure of the book; they draw, and compute nothing that a chapter or an answer needs. Layer 6.

* :mod:`~psyalliance.figures.figures`: the book's figure style (palette, sizes, :func:`~psyalliance.figures.figures.book_figure`)
  and the figures of the data;
* :mod:`~psyalliance.figures.figtext`: the smallest text of a figure, recorded in its PNG;
* :mod:`~psyalliance.figures.timeline`, :mod:`~psyalliance.figures.diagrams`, :mod:`~psyalliance.figures.powerplots`,
  :mod:`~psyalliance.figures.robustplots`: the study's timeline, path diagrams, chapter 9's and appendix A4's figures.

May import: every layer below (ground to trust); not :mod:`psyalliance.audit`, its neighbour.
"""
