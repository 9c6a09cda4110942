"""The book as a course: primer helpers, self-checks and their answers, assignments, grading, syllabus. Layer 7, the top.

* :mod:`~psyalliance.teaching.primer`: df and parameter counts, lavaan-convention fit statistics of a plain
  ``semopy.Model``, the conventional cut-offs;
* :mod:`~psyalliance.teaching.answers`, :mod:`~psyalliance.teaching.selfcheck`, :mod:`~psyalliance.teaching.webcheck`:
  the exercises' expected answers, their checks in a notebook and on the web page;
* :mod:`~psyalliance.teaching.assignments`, :mod:`~psyalliance.teaching.course`, :mod:`~psyalliance.teaching.grading`,
  :mod:`~psyalliance.teaching.studentdata`: student and instructor notebooks, the nbgrader course, a dataset per student;
* :mod:`~psyalliance.teaching.reading`, :mod:`~psyalliance.teaching.syllabus`: reading times, the syllabus;
* :mod:`~psyalliance.teaching.install`: the install cells of a notebook that leaves the repository;
* ``psyalliance.teaching.chapter``: the glue helpers of the chapters.

May import: every layer below.
"""
