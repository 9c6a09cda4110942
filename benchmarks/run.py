"""Speed figures of the book's computations, one line each: ``name: value unit``.

Each figure is the median of several runs (``--runs``, default 3; 5 for the
quick ones). Run with ``make bench`` (or ``python benchmarks/run.py``);
``--quick`` skips the two book builds. Not a test: nothing here asserts.

* ``semopy_single_fit``: one semopy ML fit of M1 (default solver settings) on
  the committed simulated dataset (listwise complete rows).
* ``montecarlo_total``: 10,000 replications at each of n = 24, 50, 100, 200,
  500, fitting M1 and M2 on every simulated sample (batched OLS = ML).
* ``montecarlo_speedup_vs_semopy``: the time semopy would need for the same
  experiment, extrapolated from a loop of semopy fits on a subset (a few
  samples at every n, both models) measured in this run, divided by
  ``montecarlo_total``.
* ``bootstrap_coverage_1000x1000``: the chapter's bootstrap-coverage experiment,
  1,000 simulated studies of n = 24 (M1), each with a 1,000-resample batched
  percentile bootstrap.
* ``bootstrap_5000`` / ``bootstrap_5000_m2``: 5,000 bootstrap resamples
  (percentile and BCa intervals) of M1's / M2's effects on the committed dataset.
* ``fit_model_m1_listwise`` / ``fit_model_m1_fiml``: the book's full fit of M1 on the committed dataset
  (the input checks, semopy reading the model, ``psyalliance.sem.mlfit`` maximising the likelihood, the optimum
  check, lavaan-convention fit statistics and SEs; semopy's ``calc_stats`` is left out: it runs only when
  ``FitResult.semopy_stats`` is read).
* ``lavaan_m1_listwise`` / ``lavaan_m1_fiml`` and ``fit_model_m1_*_speed_vs_lavaan``: where ``Rscript``
  with lavaan is installed, lavaan's ``sem()`` fit of the same model and data measured in the same run
  (``benchmarks/lavaan_fit.R``, a loop of fits inside R), and lavaan's time / ``fit_model``'s (above 1:
  ``fit_model`` is faster).
* ``robustness_grid_total``: the chapter "When the assumptions bend"'s robustness grid
  (``psyalliance.trust.robustness.run_grid``: 11 condition x estimator cells of M1 at n = 24, 1,000 simulated
  studies each, 200 of them with 300 bootstrap resamples for percentile and BCa intervals).
* ``bollen_stine_200``: one Bollen-Stine bootstrap p value of M2 on the committed dataset, 200 resamples.
* ``chisq_type1_4000_bs300x200``: the chapter's chi-square type I error experiment (4,000 simulated
  studies; Bollen-Stine on 300 of them with 200 resamples each).
* ``path_fwer_20000``: the family-wise error rate of M2's path tests, 20,000 simulated studies.
* ``simulate_exact_n24`` / ``simulate_exact_n48``: one run of the exact
  simulator (``simulate_dataset(method="exact")``) at n = 24 (the committed
  dataset) and n = 48; the search grows with n, which is why
  ``psyalliance.simulation.simulate.MAX_N`` refuses larger n for the exact method.
* ``student_data_per_student``: ``make student-data`` for a roster of ``--students`` ids (default 8):
  each student's exact dataset (own seed) and answer key, one process per core; wall seconds / students.
* ``student_data_cpu_per_student``: the same run's CPU seconds (this process and its workers) / students; it does
  not depend on the machine's other work (on 2 idle cores the wall time is about half of it).
* ``book_build_cold`` / ``book_build_nochange``: ``jupyter-book build`` of a
  fresh copy of the repository in a temporary folder (every notebook
  executes), then the same build again with nothing changed.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from statistics import median

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def timed(fn, runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return median(times), out


def semopy_fit(name: str, df: pd.DataFrame) -> None:
    import semopy

    from psyalliance.sem.registry import MODELS

    semopy.Model(MODELS[name]).fit(df)


def semopy_subset_seconds(per_n: int, seed: int = 1) -> float:
    """Seconds semopy would take for the full experiment (10,000 x 5 sample sizes x 2 models), from a subset."""
    from psyalliance.sem.paths import get_model
    from psyalliance.simulation.population import target_population
    from psyalliance.trust.montecarlo import SAMPLE_SIZES

    pop = target_population()
    rng = np.random.default_rng(seed)
    total = 0.0
    for name in ("m1_mediation", "m2_cycle"):
        m = get_model(name)
        cov = pop.cov.loc[list(m.variables), list(m.variables)].to_numpy()
        for n in SAMPLE_SIZES:
            samples = [pd.DataFrame(rng.multivariate_normal(np.zeros(len(cov)), cov, size=n), columns=m.variables) for _ in range(per_n)]
            t = time.perf_counter()
            for df in samples:
                semopy_fit(name, df)
            total += (time.perf_counter() - t) / per_n * 10_000
    return total


def lavaan_seconds(name: str, runs: int) -> dict[str, float]:
    """Seconds per lavaan fit of model ``name`` on the committed dataset, by estimator; {} without Rscript and lavaan."""
    from psyalliance.sem.registry import MODELS
    from psyalliance.simulation.simulate import DATASET_PATH

    rscript = shutil.which("Rscript")
    if rscript is None or subprocess.run([rscript, "-e", "library(lavaan)"], capture_output=True).returncode:
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "model.txt"
        model.write_text(MODELS[name])
        out = subprocess.run([rscript, str(ROOT / "benchmarks" / "lavaan_fit.R"), str(DATASET_PATH), str(model),
                              str(runs)], capture_output=True, text=True, check=True).stdout
    return {line.split()[0]: float(line.split()[1]) for line in out.splitlines() if line.strip()}


def _cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and of its finished child processes."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def student_data_seconds(students: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) per student of ``make student-data`` (datasets and answer key, every core)
    for a roster of ``students`` ids, in a fresh folder. The CPU seconds do not depend on what else the machine
    runs: on 2 idle cores the wall time is about half of them."""
    from psyalliance.teaching.studentdata import write_student_data

    with tempfile.TemporaryDirectory(prefix="psyalliance-bench-students-") as tmp:
        roster = Path(tmp) / "roster.txt"
        roster.write_text("".join(f"bench{k:03d}\n" for k in range(students)))
        t, cpu = time.perf_counter(), _cpu_seconds()
        write_student_data(roster, Path(tmp) / "out", log=False)
        return (time.perf_counter() - t) / students, (_cpu_seconds() - cpu) / students


def book_builds() -> tuple[float, float]:
    jb = Path(sys.executable).with_name("jupyter-book")
    with tempfile.TemporaryDirectory(prefix="psyalliance-bench-") as tmp:
        copy = Path(tmp) / "book"
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", "_build", ".git", "__pycache__", ".pytest_cache"))
        cmd = [str(jb), "build", str(copy), "-W", "-n", "--keep-going", "--path-output", str(copy)]
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        t = time.perf_counter()
        first = subprocess.run(cmd, capture_output=True, text=True, env=env)
        cold = time.perf_counter() - t
        if first.returncode != 0:
            print(f"# warning: the cold build failed (exit {first.returncode}):\n{first.stdout[-2000:]}{first.stderr[-2000:]}", file=sys.stderr)
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, text=True, env=env)
        again = time.perf_counter() - t
    return cold, again


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the book builds")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median reported)")
    parser.add_argument("--students", type=int, default=8, help="roster size of the student-data figure")
    parser.add_argument("--semopy-per-n", type=int, default=10, help="semopy fits per sample size and model in the speed-up subset")
    args = parser.parse_args()
    logging.getLogger().setLevel(logging.ERROR)
    warnings.simplefilter("ignore")

    from psyalliance.sem.effects import BootstrapSettings, bootstrap_effects
    from psyalliance.sem.models import fit_model
    from psyalliance.sem.paths import get_model
    from psyalliance.sem.registry import EFFECTS, MODELS
    from psyalliance.simulation.population import target_population
    from psyalliance.simulation.simulate import load_dataset
    from psyalliance.trust.montecarlo import MonteCarloSettings, run_montecarlo, run_over_n

    df = load_dataset()
    m1 = df[list(get_model("m1_mediation").variables)].dropna()
    semopy_fit("m1_mediation", m1)  # warm-up (imports, caches)
    t, _ = timed(lambda: semopy_fit("m1_mediation", m1), max(5, args.runs))
    print(f"semopy_single_fit: {t * 1e3:.1f} ms", flush=True)

    pop = target_population()
    run_over_n(reps=50, population=pop, progress=False)  # warm-up
    mc, _ = timed(lambda: run_over_n(reps=10_000, population=pop, progress=False), args.runs)
    print(f"montecarlo_total: {mc:.2f} s", flush=True)
    sem = semopy_subset_seconds(args.semopy_per_n)
    print(f"montecarlo_speedup_vs_semopy: {sem / mc:.0f} x", flush=True)

    boot_mc = MonteCarloSettings(n=24, reps=1_000, models=("m1_mediation",), indirect_ci="bootstrap", boot_resamples=1_000)
    bc, _ = timed(lambda: run_montecarlo(boot_mc, pop, correlations=False), args.runs)
    print(f"bootstrap_coverage_1000x1000: {bc:.2f} s", flush=True)

    settings = BootstrapSettings(n_resamples=5_000)
    for name, label in (("m1_mediation", "bootstrap_5000"), ("m2_cycle", "bootstrap_5000_m2")):
        boot = lambda: bootstrap_effects(MODELS[name], df, EFFECTS[name], settings)  # noqa: E731
        boot()  # warm-up
        bt, _ = timed(boot, max(5, args.runs))
        print(f"{label}: {bt:.3f} s", flush=True)

    ours = {}
    for missing in ("listwise", "fiml"):
        fit_model("m1_mediation", df, missing)  # warm-up
        ours[missing], _ = timed(lambda: fit_model("m1_mediation", df, missing), max(5, args.runs))
        print(f"fit_model_m1_{missing}: {ours[missing]:.3f} s", flush=True)
    theirs = lavaan_seconds("m1_mediation", max(5, args.runs))
    for missing, seconds in theirs.items():
        print(f"lavaan_m1_{missing}: {seconds:.3f} s", flush=True)
        print(f"fit_model_m1_{missing}_speed_vs_lavaan: {seconds / ours[missing]:.2f} x", flush=True)

    from psyalliance.sem.smallsample import bollen_stine_pvalue
    from psyalliance.trust.robustness import RobustnessSettings, chisq_type1, path_fwer, run_grid

    grid_settings = RobustnessSettings(n=24, reps=1_000, boot_samples=200, boot_resamples=300)
    gt, _ = timed(lambda: run_grid(grid_settings, pop), args.runs)
    print(f"robustness_grid_total: {gt:.2f} s", flush=True)
    m2_rows = df[list(get_model("m2_cycle").variables)].dropna().to_numpy(float)
    bs, _ = timed(lambda: bollen_stine_pvalue("m2_cycle", m2_rows, 200, rng=np.random.default_rng(1)), max(5, args.runs))
    print(f"bollen_stine_200: {bs * 1e3:.1f} ms", flush=True)
    ct, _ = timed(lambda: chisq_type1("m2_cycle", reps=4_000, bs_reps=300, bs_resamples=200, population=pop), args.runs)
    print(f"chisq_type1_4000_bs300x200: {ct:.2f} s", flush=True)
    ft, _ = timed(lambda: path_fwer("m2_cycle", reps=20_000), args.runs)
    print(f"path_fwer_20000: {ft:.2f} s", flush=True)
    from psyalliance.trust.ignorability import parallel_sensitivity
    from psyalliance.trust.robustness import chisq_small_n_reference, clustering_sensitivity

    rt, _ = timed(lambda: chisq_small_n_reference("m2_cycle", df, reps=20_000, bs_resamples=5_000, population=pop),
                  args.runs)
    print(f"chisq_small_n_reference_20000_bs5000: {rt:.2f} s", flush=True)
    kt, _ = timed(lambda: clustering_sensitivity(reps=4_000, population=pop), args.runs)
    print(f"clustering_sensitivity_8x4000: {kt:.2f} s", flush=True)
    pt, _ = timed(lambda: parallel_sensitivity(df, "alliance_prep", ("mystical_peak", "insight_peak"), "hamd_4wk",
                                               n_resamples=2_000), args.runs)
    print(f"parallel_sensitivity_2000: {pt:.2f} s", flush=True)

    from psyalliance.simulation.simulate import simulate_dataset

    for n in (24, 48):
        st, _ = timed(lambda: simulate_dataset(n=n, method="exact"), 1)
        print(f"simulate_exact_n{n}: {st:.1f} s", flush=True)
    wall, cpu = student_data_seconds(args.students)
    print(f"student_data_per_student: {wall:.2f} s", flush=True)
    print(f"student_data_cpu_per_student: {cpu:.2f} s", flush=True)

    if not args.quick:
        builds = [book_builds() for _ in range(max(1, args.runs // 2))]
        print(f"book_build_cold: {median(b[0] for b in builds):.1f} s", flush=True)
        print(f"book_build_nochange: {median(b[1] for b in builds):.1f} s", flush=True)


if __name__ == "__main__":
    main()
