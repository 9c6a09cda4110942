"""Speed of the bootstrap of indirect effects (5,000 seeded resamples, M1 and M2) and of fit_model.

Prints ``name: value unit`` lines. Run: ``.venv/bin/python benchmarks/bootstrap_effects.py``.
"""

import time

from psyalliance import MODELS, fit_model
from psyalliance.effects import EFFECTS, BootstrapSettings, bootstrap_effects
from psyalliance.ledger import load_dataset


def best_of(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    data = load_dataset()
    settings = BootstrapSettings(n_resamples=5000)
    for name in ("m1_mediation", "m2_cycle"):
        secs = best_of(lambda: bootstrap_effects(MODELS[name], data, EFFECTS[name], settings))
        print(f"bootstrap_{name}_5000: {secs:.3f} s")
    for name in MODELS:
        for missing in ("listwise", "fiml"):
            secs = best_of(lambda: fit_model(name, data, missing), repeats=1)
            print(f"fit_{name}_{missing}: {secs:.3f} s")


if __name__ == "__main__":
    main()
