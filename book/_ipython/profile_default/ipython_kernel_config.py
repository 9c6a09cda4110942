# The book build's kernels (IPYTHONDIR=book/_ipython: the Makefile's book target, tests/conftest.py) write each
# figure's smallest text size and dpi into its PNG (psyalliance.figures.figtext), for the phone-size browser test.
c = get_config()  # noqa: F821 - IPython's config loader defines it
c.InteractiveShellApp.extensions = ["psyalliance.figures.figtext"]
