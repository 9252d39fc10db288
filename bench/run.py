"""Run every benchmark (`bench/bench_*.py`), each in its own process, one after the other.

    .venv/bin/python bench/run.py                     # SQLite, national size
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ .venv/bin/python bench/run.py
    .venv/bin/python bench/run.py --cooperatives 2000 bench_import   # quick, one benchmark

Each benchmark uses a scratch database (see `common.py`), never the project's own.
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks.")
    parser.add_argument("names", nargs="*", help="only these benchmarks (e.g. bench_import)")
    parser.add_argument("--cooperatives", type=int, help="a smaller registry than the national one")
    options = parser.parse_args(argv)
    environment = os.environ.copy()
    if options.cooperatives:
        environment["BENCH_COOPERATIVES"] = str(options.cooperatives)
    scripts = sorted(BENCH_DIR.glob("bench_*.py"))
    if options.names:
        scripts = [script for script in scripts if script.stem in options.names]
    failed = []
    for script in scripts:
        print(f"\n=== {script.stem} ===", flush=True)
        if subprocess.run([sys.executable, str(script)], env=environment, check=False).returncode:  # noqa: S603
            failed.append(script.stem)
    if failed:
        print(f"\nFailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
