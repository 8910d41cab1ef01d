"""How long `learnloop demo` takes on a fresh SQLite database.

Runs the real command in a subprocess, each time on a new empty data directory, and prints the
median wall-clock time and its ratio to the 30-second target from the foundation issue.

    .venv/bin/python benchmarks/demo_time.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 30.0


def one_run() -> float:
    learnloop = Path(sys.executable).with_name("learnloop")
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "LEARNLOOP_DATA_DIR": data_dir}
        env.pop("LEARNLOOP_DATABASE_URL", None)
        started = time.perf_counter()
        subprocess.run([str(learnloop), "demo"], env=env, check=True, capture_output=True)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    times = [one_run() for _ in range(args.runs)]
    median = statistics.median(times)
    print(f"learnloop demo on a fresh SQLite database: median {median:.2f} s over {args.runs} "
          f"runs (min {min(times):.2f}, max {max(times):.2f})")
    print(f"target {TARGET_SECONDS:.0f} s; ratio to target {median / TARGET_SECONDS:.3f}")


if __name__ == "__main__":
    main()
