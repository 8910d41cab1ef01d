"""Every learner-model yardstick in one run: memory, mastery and item calibration.

    .venv/bin/python benchmarks/learner_model/run_all.py

Runs `memory.py --curve`, `mastery.py` and `irt.py` one after the other (each prints its figures
beside the published or measured baselines) and ends with a line per benchmark saying whether
its targets were met. Exit 0 only when all were.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS = (("memory", ["memory.py", "--curve"]), ("mastery", ["mastery.py"]),
        ("item calibration", ["irt.py"]))


def main() -> int:
    results = []
    for name, args in RUNS:
        print(f"\n=== {name} ({' '.join(args)}) ===", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(HERE / args[0]), *args[1:]], cwd=HERE)
        results.append((name, code, time.perf_counter() - started))
    print("\n=== summary ===")
    for name, code, seconds in results:
        print(f"{name:18} {'targets met' if code == 0 else f'NOT met (exit {code})':24} "
              f"{seconds:6.1f} s")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
