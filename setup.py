"""Build step: a wheel of psyalliance carries the data files it reads (psyalliance.resources.FILES).

The one source of those files stays the repository (data/, tests/lavaan/reference/); building a wheel (pip install .,
pip install git+<repository>, pip wheel .) copies them into the package as psyalliance/shipped/ (same relative paths). An editable
install (make venv) copies nothing: it reads data/ of the checkout. Everything else is in pyproject.toml.
"""

import runpy
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
_RES = runpy.run_path(str(HERE / "src" / "psyalliance" / "resources.py"))  # stdlib only; names FILES and PACKAGED


class build_py_with_data(build_py):
    """build_py, then copy <file> to <build>/psyalliance/shipped/<file> for each file the package reads."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's data/ directly
        target = Path(self.build_lib) / "psyalliance" / _RES["PACKAGED"]
        for name in _RES["FILES"]:
            source = HERE / name
            if not source.is_file():
                raise FileNotFoundError(f"cannot build psyalliance: {source} is missing (run `make data`)")
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target / name)


setup(cmdclass={"build_py": build_py_with_data})
