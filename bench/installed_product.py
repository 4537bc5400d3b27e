"""What tests/installed and tests/deploy spend on the product before any test runs: building the
wheel and the dependencies' wheelhouse (cold: an empty cache; warm: the tree unchanged), and a
fresh virtual environment per side. Medians of --runs runs; prints JSON; never fails the build.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import product  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    timings: dict[str, list[float]] = {"build_cold_s": [], "build_warm_s": [],
                                       "venv_terminal_s": [], "venv_office_s": []}
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="kiosk-bench-product-") as folder:
            cache = Path(folder, "cache")
            started = time.monotonic()
            built = product.build(cache)
            timings["build_cold_s"].append(time.monotonic() - started)
            started = time.monotonic()
            product.build(cache)
            timings["build_warm_s"].append(time.monotonic() - started)
            for extra in ("terminal", "office"):
                target = Path(folder, f"venv-{extra}")
                started = time.monotonic()
                product.create_venv(built, target, extra)
                timings[f"venv_{extra}_s"].append(time.monotonic() - started)
                shutil.rmtree(target)
    print(json.dumps({"runs": args.runs,
                      **{name: round(statistics.median(values), 2) for name, values in timings.items()},
                      "all": {name: [round(value, 2) for value in values] for name, values in timings.items()}}))


if __name__ == "__main__":
    main()
