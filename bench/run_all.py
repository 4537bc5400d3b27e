"""Run every benchmark in bench/ with its defaults and print their JSON, one after another.

Benchmarks report; they never fail a build. Each takes minutes at full size: run one alone with
smaller arguments (see its --help) for a quick look.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP = {"__init__.py", "common.py", "run_all.py", "ui_common.py"}

for script in sorted(HERE.glob("*.py")):
    if script.name in SKIP:
        continue
    print(f"# {script.name}", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, str(script)], check=False)
