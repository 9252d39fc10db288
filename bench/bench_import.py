"""Import of the national members file through the real engine (preview, then commit).

Generates the synthetic national registry as import files, imports the cooperatives file (needed
by the members), then the members file: preview and commit, each in a fresh child process so that
its peak RSS is its own. The preview is also run on a quarter of the file, and the quarter is
committed again at the end (every row unchanged: re-importing changes nothing), to show that
memory does not grow with the file. Baselines in the same run, on the same rows, rolled back: a
bare `bulk_create` of Member objects and a raw `executemany`.

    .venv/bin/python bench/bench_import.py [--cooperatives N]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ .venv/bin/python bench/bench_import.py
"""

import argparse
import csv
import datetime as dt
import sys
from itertools import islice
from pathlib import Path

import common

BATCH = 2000
TARGET_ROWS_PER_SECOND = 5000
TARGET_RSS_MB = 500


def _child(argv: list[str]) -> None:
    """In a child process: run one pass of an existing ImportRun and print its figures."""
    run_id, mode = int(argv[0]), argv[1]
    common.setup(fresh=False)
    from mourafaka.core.imports import run_import
    from mourafaka.core.models import ImportRun

    run = ImportRun.objects.select_related("owner").get(pk=run_id)
    with common.timed() as timer:
        run = run_import(run=run, commit=mode == "commit")
    common.child_result(
        seconds=timer.seconds,
        status=run.status,
        rows=run.rows_total,
        created=run.rows_created,
        updated=run.rows_updated,
        unchanged=run.rows_unchanged,
        refused=run.rows_refused,
    )


def _new_run(kind: str, path: Path) -> int:
    from django.core.files import File

    from mourafaka.accounts.models import User
    from mourafaka.core.models import ImportRun

    owner = User.objects.get(email="manager@demo.mourafaka.ma")
    with path.open("rb") as handle:
        run = ImportRun.objects.create(
            kind=kind, owner=owner, original_name=path.name, file=File(handle, name=path.name)
        )
    return run.pk


def _pass(kind: str, run_id: int, mode: str, label: str, figures: list) -> dict:
    result = common.run_child("bench_import.py", "--child", str(run_id), mode)
    if result["status"] not in ("previewed", "committed"):
        raise RuntimeError(f"{label}: the import ended {result['status']}")
    rate = result["rows"] / result["seconds"]
    figures.append(
        (
            label,
            result["rows"],
            result["seconds"],
            rate,
            f"{result['created']}/{result['updated']}/{result['unchanged']}/{result['refused']}",
            result["peak_rss_mb"],
        )
    )
    return result


def _date(text: str) -> dt.date | None:
    if not text:
        return None
    if "/" in text:
        day, month, year = text.split("/")
        return dt.date(int(year), int(month), int(day))
    return dt.date.fromisoformat(text)


def _cooperatives() -> dict:
    from mourafaka.cooperatives.models import Cooperative

    return {
        number: (pk, region, province)
        for number, pk, region, province in Cooperative.objects.values_list(
            "registration_number", "id", "region_id", "province_id"
        ).iterator(chunk_size=5000)
    }


def _member_rows(path: Path):
    """The members file as plain tuples ready to insert, read as a stream (no validation)."""
    cooperatives = _cooperatives()  # here, before any COPY holds the connection
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for number, name_fr, name_ar, sex, birth, cin, role, phone, joined, consent in reader:
            pk, region, province = cooperatives[number]
            joined_date = _date(joined)
            agreed = consent == "yes"
            yield (
                pk,
                region,
                province,
                name_fr,
                name_ar,
                sex,
                _date(birth),
                cin,
                role,
                phone,
                joined_date,
                agreed,
                joined_date if agreed else None,
            )


MEMBER_COLUMNS = (
    "cooperative_id",
    "region_id",
    "province_id",
    "full_name_fr",
    "full_name_ar",
    "sex",
    "birth_date",
    "cin",
    "role",
    "phone",
    "joined_date",
    "consent",
    "consent_date",
)


class Rollback(Exception):
    pass


def _rolled_back(work) -> float:
    """Seconds taken by `work()` inside a transaction that is then rolled back."""
    from django.db import transaction

    with common.timed() as timer:
        try:
            with transaction.atomic():
                work()
                raise Rollback
        except Rollback:
            pass
    return timer.seconds


def _baseline_bulk_create(path: Path) -> float:
    from mourafaka.cooperatives.models import Member

    def work():
        rows = _member_rows(path)
        while batch := list(islice(rows, BATCH)):
            Member.objects.bulk_create(
                [Member(**dict(zip(MEMBER_COLUMNS, row, strict=True))) for row in batch]
            )

    return _rolled_back(work)


def _baseline_executemany(path: Path) -> float:
    from django.db import connection
    from django.utils import timezone

    columns = (*MEMBER_COLUMNS, "active", "search_name", "created_at", "updated_at")
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO cooperatives_member ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608

    def work():
        now = timezone.now()
        rows = _member_rows(path)
        with connection.cursor() as cursor:
            while batch := list(islice(rows, BATCH)):
                cursor.executemany(sql, [(*row, True, "", now, now) for row in batch])

    return _rolled_back(work)


def _baseline_copy(path: Path) -> float:
    """PostgreSQL's COPY of the same rows: the floor of an insert there."""
    from django.db import connection
    from django.utils import timezone

    columns = ", ".join((*MEMBER_COLUMNS, "active", "search_name", "created_at", "updated_at"))

    def work():
        now = timezone.now()
        rows = _member_rows(path)
        first = next(rows)  # reads the cooperatives before COPY takes the connection
        sql = f"COPY cooperatives_member ({columns}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            copy.write_row((*first, True, "", now, now))
            for row in rows:
                copy.write_row((*row, True, "", now, now))

    return _rolled_back(work)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        _child(argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cooperatives", type=int, default=common.national_size())
    parser.add_argument("--seed", type=int, default=2025)
    options = parser.parse_args(argv)

    common.setup(fresh=True)
    from mourafaka.cooperatives import synthetic

    data = common.VAR / "bench-data"
    data.mkdir(parents=True, exist_ok=True)
    cooperatives_file, members_file = data / "cooperatives.csv", data / "members.csv"
    quarter_file = data / "members-quarter.csv"
    with common.timed() as timer:
        cooperatives, members = synthetic.write_files(
            synthetic.generate(seed=options.seed, cooperatives=options.cooperatives),
            cooperatives_file=cooperatives_file,
            members_file=members_file,
        )
    with members_file.open(encoding="utf-8") as source, quarter_file.open("w", encoding="utf-8") as target:
        target.writelines(islice(source, members // 4 + 1))
    database = common.database_label()
    print(f"Import benchmark on {database}: {cooperatives:,} cooperatives, {members:,} members")
    print(
        f"  files generated in {timer.seconds:.1f} s ({members_file.stat().st_size / 2**20:.0f} MB of members)"
    )

    figures: list[tuple] = []
    run_id = _new_run("cooperatives", cooperatives_file)
    _pass("cooperatives", run_id, "preview", "cooperatives: preview", figures)
    _pass("cooperatives", run_id, "commit", "cooperatives: commit", figures)

    bulk_seconds = _baseline_bulk_create(members_file)
    raw_seconds = _baseline_executemany(members_file)
    from django.db import connection

    copy_seconds = _baseline_copy(members_file) if connection.vendor == "postgresql" else None

    _pass("members", _new_run("members", quarter_file), "preview", "members (quarter): preview", figures)
    full_run = _new_run("members", members_file)
    preview = _pass("members", full_run, "preview", "members: preview", figures)
    commit = _pass("members", full_run, "commit", "members: commit", figures)
    again = _new_run("members", quarter_file)
    _pass("members", again, "preview", "members (quarter) again: preview", figures)
    repeat = _pass("members", again, "commit", "members (quarter) again: commit", figures)

    common.print_table(
        f"Imports through core.imports.run_import ({database})",
        ("pass", "rows", "seconds", "rows/s", "created/updated/unchanged/refused", "peak RSS MB"),
        figures,
    )
    bulk_rate, raw_rate = members / bulk_seconds, members / raw_seconds
    preview_rate = preview["rows"] / preview["seconds"]
    commit_rate = commit["rows"] / commit["seconds"]
    common.print_table(
        "Members: the engine against bare inserts of the same rows (rolled back)",
        ("how", "rows/s", "engine commit is slower by"),
        [
            ("bare bulk_create (no validation)", bulk_rate, f"x{bulk_rate / commit_rate:.1f}"),
            ("raw executemany", raw_rate, f"x{raw_rate / commit_rate:.1f}"),
            *(
                [("COPY", members / copy_seconds, f"x{members / copy_seconds / commit_rate:.1f}")]
                if copy_seconds
                else []
            ),
            ("engine preview (full validation)", preview_rate, "-"),
            ("engine commit (full validation + write)", commit_rate, "-"),
        ],
    )
    peak = max(row[-1] for row in figures)
    ok = (
        min(preview_rate, commit_rate) >= TARGET_ROWS_PER_SECOND
        and peak < TARGET_RSS_MB
        and commit["refused"] == 0
        and repeat["created"] == repeat["updated"] == 0
    )
    print(
        f"\nTarget >= {TARGET_ROWS_PER_SECOND:,} rows/s and peak RSS < {TARGET_RSS_MB} MB: "
        f"{'met' if ok else 'MISSED'} (slowest pass {min(preview_rate, commit_rate):,.0f} rows/s, peak {peak:.0f} MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
