"""Power cuts while the terminal writes: the power-cut test (tests/powercut) run long. Each cut
lands at a random moment of the writer's work; after each reboot the database must pass its
integrity check and hold every write reported committed. Reports the cuts, the writes reported,
those lost, the cuts that left a malformed database, and the time.

    python bench/power_cut.py [--cuts 500] [--synchronous FULL|NORMAL|OFF] [--max-delay 1.0]

--synchronous NORMAL or OFF weakens the store's fsyncs from the test's writer (the store itself
always runs FULL) to show what the test catches. Needs root, /dev/fuse and fuse3.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import report  # noqa: E402
from tests.powercut import harness  # noqa: E402
from tests.powercut.writer import LEVELS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cuts", type=int, default=500)
    parser.add_argument("--synchronous", choices=LEVELS, default="FULL")
    parser.add_argument("--max-delay", type=float, default=1.0,
                        help="the longest the writer writes before a cut, in seconds")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    reason = harness.missing()
    if reason is not None:
        report({"bench": "power_cut", "skipped": reason})
        return
    with tempfile.TemporaryDirectory(prefix="power-cut-") as folder:
        tally = harness.run(Path(folder), args.cuts, synchronous=args.synchronous, seed=args.seed,
                            max_delay_s=args.max_delay)
    document = {"bench": "power_cut", **tally.as_dict(),
                "seconds_per_cut": round(tally.seconds / max(tally.cuts, 1), 3)}
    document["problems"] = [problem[:300] for problem in document["problems"]]
    report(document)


if __name__ == "__main__":
    main()
