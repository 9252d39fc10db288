"""Backups: a real round trip on the test database (SQLite or PostgreSQL), and every refusal.

The round trip needs committed data (pg_dump reads it from another session), so it runs outside the
test transaction, on the worker's own test database (pytest-django gives each xdist worker its own),
and puts the database back as it found it.
"""

import io
import json
import sqlite3
import tarfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from mourafaka.cooperatives.models import Cooperative, CooperativeDocument
from mourafaka.trust import backups

MARKER = "backup-round-trip-marker"


@pytest.fixture
def backup_env(settings, tmp_path):
    """MEDIA_ROOT and BACKUP_DIR in a temporary folder of this test."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MOURAFAKA = {**settings.MOURAFAKA, "BACKUP_DIR": str(tmp_path / "backups")}
    (tmp_path / "media").mkdir()
    return tmp_path


@pytest.fixture
def committed_db(django_db_setup, django_db_blocker):
    """The worker's test database without the per-test transaction (the test cleans up after itself)."""
    with django_db_blocker.unblock():
        yield
        connection.close()


@pytest.fixture(scope="module")
def sample_archive(django_db_setup, django_db_blocker, tmp_path_factory):
    """One real archive of the test database with two uploaded files, shared by the refusal tests."""
    base = tmp_path_factory.mktemp("sample")
    media = base / "media"
    (media / "docs").mkdir(parents=True)
    (media / "docs" / "a.txt").write_bytes(b"alpha")
    (media / "b.txt").write_bytes(b"bravo")
    mourafaka = {**django_settings.MOURAFAKA, "BACKUP_DIR": str(base / "backups")}
    with override_settings(MEDIA_ROOT=str(media), MOURAFAKA=mourafaka), django_db_blocker.unblock():
        path, _manifest = backups.create_backup(base / "archives")
    return path


def read_members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        return {member.name: tar.extractfile(member).read() for member in tar if member.isfile()}


def write_archive(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def tampered(source: Path, target: Path, *, manifest=None, members=None) -> Path:
    """A copy of ``source`` whose manifest and/or members were changed by the given functions."""
    content = read_members(source)
    data = json.loads(content.pop("manifest.json"))
    if members:
        members(content)
    if manifest:
        manifest(data)
    content["manifest.json"] = json.dumps(data).encode()
    return write_archive(target, content)


def restore(*args) -> str:
    out = io.StringIO()
    call_command("restore", *map(str, args), stdout=out)
    return out.getvalue()


# --------------------------------------------------------------------------------------------------
# The round trip


def test_backup_and_restore_round_trip(committed_db, backup_env):
    cooperative = Cooperative.objects.get(registration_number="SAF-2022-0088")
    original_name = cooperative.name_fr
    document = CooperativeDocument(
        cooperative=cooperative,
        kind=CooperativeDocument.Kind.OTHER,
        title=MARKER,
        original_name="minutes.pdf",
        size=14,
        content_type="application/pdf",
    )
    document.file.save("minutes.pdf", ContentFile(b"%PDF-1.4 marker"), save=True)
    media = Path(django_settings.MEDIA_ROOT)
    stored = Path(document.file.path)
    try:
        counts = backups.table_counts(connection)
        migrations = backups.migration_state(connection)
        out = io.StringIO()
        call_command("backup", stdout=out)
        archives = backups.list_archives(backup_env / "backups")
        assert len(archives) == 1
        assert "Saved" in out.getvalue() and archives[0].name in out.getvalue()
        manifest = json.loads(read_members(archives[0])["manifest.json"])
        assert manifest["database"]["engine"] == connection.vendor
        assert manifest["counts"] == counts and manifest["counts"]["cooperatives.cooperativedocument"] >= 1
        assert manifest["migrations"] == migrations and "cooperatives" in migrations
        assert manifest["media"]["count"] == 1
        assert {entry["path"] for entry in manifest["files"]} == {
            backups.DB_MEMBERS[connection.vendor],
            f"media/{stored.relative_to(media).as_posix()}",
        }

        # Lose the record and its file, change another record, add a file the backup does not know.
        CooperativeDocument.objects.filter(pk=document.pk).delete()
        stored.unlink()
        Cooperative.objects.filter(pk=cooperative.pk).update(name_fr="Changed after the backup")
        (media / "stray.txt").write_bytes(b"uploaded after the backup")
        with connection.cursor() as cursor:  # a table of "newer code", referencing a restored one
            cursor.execute(
                "CREATE TABLE trust_backup_later (id integer PRIMARY KEY, "
                "cooperative_id bigint REFERENCES cooperatives_cooperative (id))"
            )
            cursor.execute("INSERT INTO trust_backup_later VALUES (1, %s)", [cooperative.pk])
        assert backups.table_counts(connection) != counts

        output = restore(archives[0], "--yes")

        assert "row counts match" in output
        restored = CooperativeDocument.objects.get(pk=document.pk)
        assert restored.title == MARKER and restored.cooperative_id == cooperative.pk
        assert Path(restored.file.path).read_bytes() == b"%PDF-1.4 marker"
        cooperative.refresh_from_db()
        assert cooperative.name_fr == original_name
        assert backups.table_counts(connection) == counts
        assert backups.migration_state(connection) == migrations
        assert "trust_backup_later" not in connection.introspection.table_names()
        # The stray file was kept aside, not deleted; the state before the restore was saved.
        assert not (media / "stray.txt").exists()
        aside = list((backup_env / "backups").glob("set-aside-*/media/stray.txt"))
        assert [path.read_bytes() for path in aside] == [b"uploaded after the backup"]
        safety = list((backup_env / "backups").glob(f"{backups.SAFETY_PREFIX}-*.tar.gz"))
        assert len(safety) == 1
        assert json.loads(read_members(safety[0])["manifest.json"])["counts"] != counts
        # --keep leaves the safety backup alone and the newest regular ones only.
        call_command("backup", "--keep", "1", stdout=io.StringIO())
        assert backups.list_archives(backup_env / "backups") != archives
        assert len(backups.list_archives(backup_env / "backups")) == 1
        assert len(list((backup_env / "backups").glob(f"{backups.SAFETY_PREFIX}-*.tar.gz"))) == 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS trust_backup_later")
        CooperativeDocument.objects.filter(title=MARKER).delete()
        Cooperative.objects.filter(pk=cooperative.pk).update(name_fr=original_name)


def test_sqlite_file_round_trip_with_wal_and_another_reader(tmp_path):
    """The SQLite path on an on-disk WAL database (the production layout), whatever the test engine."""
    live = tmp_path / "live.sqlite3"
    writer = sqlite3.connect(live, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE marker (id INTEGER PRIMARY KEY, label TEXT)")
    writer.executemany("INSERT INTO marker (label) VALUES (?)", [("one",), ("two",)])
    reader = sqlite3.connect(live, isolation_level=None)
    assert reader.execute("SELECT count(*) FROM marker").fetchone() == (2,)

    dump = tmp_path / "dump.sqlite3"
    backups.sqlite_dump(writer, dump)
    writer.execute("DELETE FROM marker WHERE label = 'one'")
    writer.execute("CREATE TABLE later (id INTEGER)")
    assert reader.execute("SELECT count(*) FROM marker").fetchone() == (1,)

    backups.sqlite_load(dump, writer)

    assert reader.execute("SELECT label FROM marker ORDER BY id").fetchall() == [("one",), ("two",)]
    tables = {row[0] for row in reader.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"marker"}
    assert writer.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert writer.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    reader.close()
    writer.close()


def test_sqlite_load_refuses_a_file_that_is_not_a_database(tmp_path):
    fake = tmp_path / "fake.sqlite3"
    fake.write_bytes(b"this is not a database" * 100)
    target = sqlite3.connect(tmp_path / "target.sqlite3", isolation_level=None)
    target.execute("CREATE TABLE kept (id INTEGER)")
    with pytest.raises(backups.BackupError, match="could not be loaded"):
        backups.sqlite_load(fake, target)
    assert target.execute("SELECT count(*) FROM kept").fetchone() == (0,)
    target.close()


# --------------------------------------------------------------------------------------------------
# Refusals: nothing is touched


def test_without_yes_it_only_says_what_it_would_replace(db, backup_env, sample_archive):
    current = Path(django_settings.MEDIA_ROOT) / "current.txt"
    current.write_bytes(b"today's upload")
    out = io.StringIO()
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(sample_archive), stdout=out)
    printed = out.getvalue()
    assert "checksums verified" in printed
    assert "This replaces the whole" in printed
    assert "would set aside: current.txt" in printed
    assert current.read_bytes() == b"today's upload"
    assert not (Path(django_settings.MEDIA_ROOT) / "b.txt").exists()
    assert not list((backup_env / "backups").glob("*.tar.gz"))


@pytest.mark.parametrize(
    "content",
    [b"not an archive at all", b"\x1f\x8b\x08\x00garbage"],
    ids=["random-bytes", "broken-gzip"],
)
def test_refuses_a_file_that_is_not_an_archive(db, backup_env, content):
    path = backup_env / "mourafaka-backup-20250101T000000Z.tar.gz"
    path.write_bytes(content)
    with pytest.raises(CommandError, match="not a readable backup archive"):
        restore(path, "--yes")


def test_refuses_a_truncated_archive(db, backup_env, sample_archive):
    data = sample_archive.read_bytes()
    path = backup_env / "truncated.tar.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CommandError, match="not a readable backup archive"):
        restore(path, "--yes")


def test_refuses_a_missing_archive(db, backup_env):
    with pytest.raises(CommandError, match="No archive at"):
        restore(backup_env / "nowhere.tar.gz", "--yes")


def test_refuses_a_foreign_archive(db, backup_env):
    other = write_archive(backup_env / "other.tar.gz", {"README.txt": b"photos"})
    with pytest.raises(CommandError, match="not a Mourafaka backup"):
        restore(other, "--yes")
    no_manifest = write_archive(backup_env / "no-manifest.tar.gz", {"media/a.txt": b"a"})
    with pytest.raises(CommandError, match="not a Mourafaka backup"):
        restore(no_manifest, "--yes")
    manifest = json.dumps({"format": "something-else", "files": []}).encode()
    foreign = write_archive(backup_env / "foreign.tar.gz", {"manifest.json": manifest})
    with pytest.raises(CommandError, match="not a Mourafaka backup"):
        restore(foreign, "--yes")
    broken = write_archive(backup_env / "broken.tar.gz", {"manifest.json": b"{not json"})
    with pytest.raises(CommandError, match="not valid JSON"):
        restore(broken, "--yes")


def test_refuses_a_checksum_mismatch(db, backup_env, sample_archive):
    def alter(members):
        members["media/docs/a.txt"] = b"alphX"  # same size, other content

    path = tampered(sample_archive, backup_env / "altered.tar.gz", members=alter)
    with pytest.raises(CommandError, match="Checksum mismatch for media/docs/a.txt"):
        restore(path, "--yes")
    assert not (Path(django_settings.MEDIA_ROOT) / "docs").exists()


def test_refuses_an_archive_with_missing_or_unlisted_files(db, backup_env, sample_archive):
    missing = tampered(sample_archive, backup_env / "missing.tar.gz", members=lambda m: m.pop("media/b.txt"))
    with pytest.raises(CommandError, match="incomplete"):
        restore(missing, "--yes")

    def add(members):
        members["media/extra.txt"] = b"smuggled"

    extra = tampered(sample_archive, backup_env / "extra.tar.gz", members=add)
    with pytest.raises(CommandError, match="does not list"):
        restore(extra, "--yes")


def test_refuses_unsafe_paths(db, backup_env, sample_archive):
    def escape(members):
        members["media/../../escaped.txt"] = b"outside"

    path = tampered(sample_archive, backup_env / "escape.tar.gz", members=escape)
    with pytest.raises(CommandError, match="unsafe path"):
        restore(path, "--yes")
    assert not (backup_env / "escaped.txt").exists()


def test_refuses_another_database_engine(db, backup_env, sample_archive):
    current = connection.vendor
    other = "postgresql" if current == "sqlite" else "sqlite"

    def rename(members):
        members[backups.DB_MEMBERS[other]] = members.pop(backups.DB_MEMBERS[current])

    def relabel(manifest):
        manifest["database"]["engine"] = other
        manifest["database"]["file"] = backups.DB_MEMBERS[other]
        for entry in manifest["files"]:
            if entry["path"] == backups.DB_MEMBERS[current]:
                entry["path"] = backups.DB_MEMBERS[other]

    path = tampered(sample_archive, backup_env / "engine.tar.gz", members=rename, manifest=relabel)
    with pytest.raises(
        CommandError, match=f"backup is of a {other} database but the current database is {current}"
    ):
        restore(path, "--yes")


def test_refuses_a_backup_of_newer_code(db, backup_env, sample_archive):
    def future(manifest):
        manifest["migrations"]["cooperatives"] = "9999_from_the_future"

    path = tampered(sample_archive, backup_env / "future.tar.gz", manifest=future)
    with pytest.raises(CommandError, match="newer code.*cooperatives.9999_from_the_future"):
        restore(path, "--yes")


def test_refuses_another_format_version(db, backup_env, sample_archive):
    path = tampered(
        sample_archive, backup_env / "v2.tar.gz", manifest=lambda manifest: manifest.update(version=2)
    )
    with pytest.raises(CommandError, match="format version 2"):
        restore(path, "--yes")


# --------------------------------------------------------------------------------------------------
# Small parts


def test_keep_removes_the_oldest_regular_archives_only(tmp_path):
    names = [
        "mourafaka-backup-20250101T020000Z.tar.gz",
        "mourafaka-backup-20250102T020000Z.tar.gz",
        "mourafaka-backup-20250102T020000Z-1.tar.gz",
        "mourafaka-backup-20250103T020000Z.tar.gz",
        "mourafaka-pre-restore-20240101T000000Z.tar.gz",
        "notes.txt",
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    removed = backups.prune(tmp_path, 2)
    assert [path.name for path in removed] == names[:2]
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(names[2:])
    with pytest.raises(backups.BackupError):
        backups.prune(tmp_path, 0)


def test_keep_must_be_positive():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("backup", "--keep", "0")


def test_postgresql_password_goes_through_the_environment():
    args, env = backups.pg_connection_args(
        {"NAME": "db", "HOST": "127.0.0.1", "PORT": 5433, "USER": "app", "PASSWORD": "s3cret"}
    )
    assert args == ["--no-password", "--host", "127.0.0.1", "--port", "5433", "--username", "app"]
    assert env["PGPASSWORD"] == "s3cret"
    assert "s3cret" not in " ".join(args)
