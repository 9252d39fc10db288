"""What every benchmark shares: a scratch database, timing, memory, a table of figures.

A benchmark is a script `bench/bench_<name>.py` with `main(argv)`, run alone
(`.venv/bin/python bench/bench_<name>.py`) or by `bench/run.py`. It starts with:

    import common
    common.setup(fresh=True)   # before importing anything from mourafaka

The API, kept small:

- `setup(*, fresh)`: Django on a scratch database, migrated, with the reference data and the demo
  world (accounts `<key>@demo.mourafaka.ma`). One database per benchmark script: SQLite
  `var/bench_<name>.sqlite3` by default; when DATABASE_URL is set, a database named
  `mourafaka_bench_<name>` on that PostgreSQL server (never the database DATABASE_URL names). `fresh=True` starts from an empty database; `fresh=False` reuses
  it (for child processes). Media files go to `var/bench-media/<name>/`; DEBUG is off, as in production.
- `database_label()`: "SQLite" or "PostgreSQL <version>", for the figures.
- `national_size()`: the number of cooperatives to generate: 60,939, or BENCH_COOPERATIVES
  (`bench/run.py --cooperatives N` sets it) for a quick run.
- `Timer` / `timed()`: `with timed() as timer: ...` then `timer.seconds`.
- `percentile(samples, p)`: the p-th percentile (nearest rank) of a list of numbers.
- `peak_rss_mb()`: the peak resident memory of this process, in MB.
- `run_child(script, *args)`: runs `bench/<script>` in a fresh interpreter with the same
  scratch database, and returns the JSON object it prints on its last line of output (use
  `child_result(**figures)` there, which adds the child's own peak RSS).
- `print_table(title, header, rows)`: prints aligned figures.
"""

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
VAR = ROOT / "var"
# One scratch database per benchmark script (bench_import -> var/bench_import.sqlite3 or
# mourafaka_bench_import), so that two benchmarks running at once never share one.
BENCH_NAME = re.sub(r"\W", "_", Path(sys.argv[0]).stem.removeprefix("bench_")) or "bench"
SQLITE_PATH = VAR / f"bench_{BENCH_NAME}.sqlite3"
MEDIA = VAR / "bench-media" / BENCH_NAME
SCRATCH_NAME = f"mourafaka_bench_{BENCH_NAME}"
NATIONAL_COOPERATIVES = 60_939
SCRATCH_URL = "MOURAFAKA_BENCH_DATABASE_URL"  # set by setup, inherited by child processes

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def national_size() -> int:
    return int(os.environ.get("BENCH_COOPERATIVES") or NATIONAL_COOPERATIVES)


def _postgres_scratch(url: str, *, fresh: bool) -> str:
    import psycopg

    parts = urlsplit(url)
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [SCRATCH_NAME]).fetchone()
        if exists and fresh:
            connection.execute(f"DROP DATABASE {SCRATCH_NAME} WITH (FORCE)")
            exists = None
        if not exists:
            connection.execute(f"CREATE DATABASE {SCRATCH_NAME}")
    return urlunsplit(parts._replace(path=f"/{SCRATCH_NAME}"))


def setup(*, fresh: bool) -> None:
    """Django on the scratch database (see the module docstring)."""
    scratch = os.environ.get(SCRATCH_URL)
    if not scratch:
        url = os.environ.get("DATABASE_URL", "")
        if url.startswith(("postgres", "pgsql")):
            scratch = _postgres_scratch(url, fresh=fresh)
        else:
            VAR.mkdir(exist_ok=True)
            if fresh:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
            scratch = f"sqlite:///{SQLITE_PATH}"
        os.environ[SCRATCH_URL] = scratch
    elif fresh and scratch.startswith("postgres"):
        _postgres_scratch(scratch, fresh=True)
    elif fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{scratch.removeprefix('sqlite:///')}{suffix}").unlink(missing_ok=True)
    if fresh:
        shutil.rmtree(MEDIA, ignore_errors=True)
    MEDIA.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = scratch
    os.environ["MEDIA_ROOT"] = str(MEDIA)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mourafaka.settings")
    os.environ.setdefault("AXES_ENABLED", "false")
    os.environ.setdefault("DEBUG", "false")  # as in production: no SQL log kept in memory
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    os.environ.setdefault("SMS_BACKEND", "mourafaka.core.sms.MemoryBackend")

    import django

    django.setup()
    if fresh:
        from django.core.management import call_command

        from mourafaka.cooperatives.reference import load_registry_reference
        from mourafaka.core.demo import load_demo
        from mourafaka.territory.reference import load_territory

        call_command("migrate", verbosity=0, interactive=False)
        load_territory()
        load_registry_reference()
        load_demo()


def database_label() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


class Timer:
    seconds: float = 0.0


@contextmanager
def timed():
    timer = Timer()
    started = time.perf_counter()
    try:
        yield timer
    finally:
        timer.seconds = time.perf_counter() - started


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * p // 100))  # nearest rank, ceil(n * p / 100)
    return ordered[int(rank) - 1]


def peak_rss_mb() -> float:
    # VmHWM belongs to this program; ru_maxrss would carry the parent's peak across fork + exec.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_result(**figures) -> None:
    """Print the figures of a child process as its last line (read by `run_child`)."""
    print(json.dumps({**figures, "peak_rss_mb": round(peak_rss_mb(), 1)}), flush=True)


def run_child(script: str, *args: str) -> dict:
    completed = subprocess.run(  # noqa: S603
        [sys.executable, str(BENCH_DIR / script), *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    if completed.returncode:
        sys.stderr.write(completed.stdout + completed.stderr)
        raise RuntimeError(f"{script} {' '.join(args)} failed")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def print_table(title: str, header: tuple, rows: list[tuple]) -> None:
    cells = [tuple(str(cell) for cell in header)] + [tuple(_cell(cell) for cell in row) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for index, row in enumerate(cells):
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            print("  " + "  ".join("-" * width for width in widths))
    sys.stdout.flush()


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 10 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
