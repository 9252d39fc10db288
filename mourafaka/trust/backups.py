"""Backups of the database and the uploaded files, and their restoration.

An archive is one ``.tar.gz`` file::

    database/db.sqlite3 | database/db.pgdump   the database (SQLite online-backup copy / pg_dump custom format)
    media/<path>                               every file under MEDIA_ROOT
    manifest.json                              what the archive holds (written last, see MANIFEST_NAME)

The manifest lists every other member with its size and SHA-256, the database engine, the Django
migration state (latest applied migration per app) and the row counts of the project's tables; a
restore verifies all of it before touching anything.

Restore policy for the uploaded files: MEDIA_ROOT is made identical to the backup. Current files
that are not in the backup, or whose content differs, are never deleted: they are moved to
``<BACKUP_DIR>/set-aside-<timestamp>/media/`` (same relative paths), and a safety backup of the
whole current state (``mourafaka-pre-restore-<timestamp>.tar.gz``) is saved first unless asked not to.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import django
from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "mourafaka-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
BACKUP_PREFIX = "mourafaka-backup"
SAFETY_PREFIX = "mourafaka-pre-restore"
ARCHIVE_RE = re.compile(r"^mourafaka-backup-(\d{8}T\d{6}Z)(?:-(\d+))?\.tar\.gz$")
DB_MEMBERS = {"sqlite": "database/db.sqlite3", "postgresql": "database/db.pgdump"}
SUPPORTED_ENGINES = tuple(DB_MEMBERS)
# Shown first in messages (all the project's tables are counted in the manifest).
KEY_TABLES = (
    "accounts.user",
    "cooperatives.cooperative",
    "cooperatives.member",
    "calls.application",
    "diagnostics.diagnostic",
    "trainings.session",
    "coaching.visit",
    "financing.agreement",
)
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is meant for the operator."""


@dataclass
class Archive:
    """A verified archive, unpacked into ``root`` (a temporary folder the caller removes)."""

    path: Path
    manifest: dict
    root: Path

    @property
    def engine(self) -> str:
        return self.manifest["database"]["engine"]

    @property
    def media_files(self) -> dict[str, dict]:
        """Relative path under MEDIA_ROOT → its manifest entry."""
        return {
            entry["path"][len("media/") :]: entry
            for entry in self.manifest["files"]
            if entry["path"].startswith("media/")
        }


@dataclass
class RestorePlan:
    written: list[str] = field(default_factory=list)  # media paths written from the backup
    unchanged: list[str] = field(default_factory=list)  # already identical, left alone
    set_aside: list[str] = field(default_factory=list)  # current files moved out of MEDIA_ROOT


# --------------------------------------------------------------------------------------------------
# Places and names


def backup_dir() -> Path:
    configured = getattr(settings, "MOURAFAKA", {}).get("BACKUP_DIR")
    return Path(configured) if configured else Path(settings.BASE_DIR) / "var" / "backups"


def media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def utc_stamp(now: dt.datetime | None = None) -> str:
    return (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")


def _new_archive_path(directory: Path, prefix: str) -> Path:
    stamp = utc_stamp()
    path = directory / f"{prefix}-{stamp}.tar.gz"
    n = 0
    while path.exists():  # two backups within the same second
        n += 1
        path = directory / f"{prefix}-{stamp}-{n}.tar.gz"
    return path


def list_archives(directory: Path) -> list[Path]:
    """The regular backups in ``directory``, oldest first (safety backups are not listed)."""
    found = []
    for path in directory.glob(f"{BACKUP_PREFIX}-*.tar.gz"):
        match = ARCHIVE_RE.match(path.name)
        if match and path.is_file():
            found.append(((match.group(1), int(match.group(2) or 0)), path))
    return [path for _key, path in sorted(found)]


def prune(directory: Path, keep: int) -> list[Path]:
    """Remove the regular backups beyond the ``keep`` newest ones; return the removed paths."""
    if keep < 1:
        raise BackupError("--keep must be at least 1.")
    archives = list_archives(directory)
    removed = archives[:-keep] if len(archives) > keep else []
    for path in removed:
        path.unlink()
    return removed


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


# --------------------------------------------------------------------------------------------------
# Database state


def engine_of(connection) -> str:
    vendor = connection.vendor
    if vendor not in SUPPORTED_ENGINES:
        raise BackupError(f"Backups support SQLite and PostgreSQL only, not {vendor}.")
    return vendor


def migration_state(connection) -> dict[str, str]:
    """The latest applied migration of each app (in the order they were applied)."""
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return {}
    applied = recorder.migration_qs.order_by("applied", "id").values_list("app", "name")
    latest = dict(applied)  # later rows overwrite earlier ones: the last applied per app
    return dict(sorted(latest.items()))


def table_counts(connection) -> dict[str, int]:
    """Row counts of every table of the project's apps (a table that does not exist is left out)."""
    existing = set(connection.introspection.table_names())
    counts = {}
    for model in apps.get_models():
        meta = model._meta
        if not model.__module__.startswith("mourafaka.") or meta.proxy or not meta.managed:
            continue
        if meta.db_table not in existing:
            continue
        try:
            counts[meta.label_lower] = model._base_manager.using(connection.alias).count()
        except DatabaseError:  # pragma: no cover - a table of newer code than the database
            continue
    return dict(sorted(counts.items()))


def key_counts(counts: dict[str, int]) -> str:
    shown = [f"{label} {counts[label]}" for label in KEY_TABLES if label in counts]
    return ", ".join(shown) if shown else "no table"


# --------------------------------------------------------------------------------------------------
# SQLite


def sqlite_dump(source: sqlite3.Connection, destination: Path) -> None:
    """Copy a live SQLite database into a new self-contained file (online backup API)."""
    target = sqlite3.connect(destination)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
    finally:
        target.close()


def sqlite_load(source_file: Path, target: sqlite3.Connection) -> None:
    """Replace the whole content of the database behind ``target`` by ``source_file``.

    The backup API writes through ``target``'s pager under an exclusive lock, so other connections to
    the same file see the new content on their next read; the journal mode of the target is kept.
    """
    if target.in_transaction:
        raise BackupError("The database connection is inside a transaction; cannot restore now.")
    source = sqlite3.connect(f"file:{source_file}?mode=ro", uri=True)
    try:
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()  # a real SQLite file?
        source.backup(target)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"The SQLite dump could not be loaded: {error}.") from error
    finally:
        source.close()


# --------------------------------------------------------------------------------------------------
# PostgreSQL


def pg_tool(name: str) -> str:
    """Path of pg_dump / pg_restore: MOURAFAKA["PG_BIN_DIR"], then PATH, then the newest Debian one."""
    configured = getattr(settings, "MOURAFAKA", {}).get("PG_BIN_DIR")
    if configured and (Path(configured) / name).is_file():
        return str(Path(configured) / name)
    found = shutil.which(name)
    if found:
        return found

    def version(path: str) -> tuple[int, ...]:
        part = Path(path).parent.parent.name
        return tuple(int(p) for p in part.split(".") if p.isdigit())

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version)
    if candidates:
        return candidates[-1]
    raise BackupError(f"{name} was not found (install the PostgreSQL client or set MOURAFAKA['PG_BIN_DIR']).")


def pg_connection_args(settings_dict: dict) -> tuple[list[str], dict[str, str]]:
    """Command-line options and environment for the PostgreSQL tools, from a DATABASES entry."""
    args = ["--no-password"]
    if settings_dict.get("HOST"):
        args += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", str(settings_dict["USER"])]
    env = os.environ.copy()
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    options = settings_dict.get("OPTIONS") or {}
    for option, variable in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT")):
        if options.get(option):
            env[variable] = str(options[option])
    return args, env


def _run(command: list[str], env: dict[str, str], what: str) -> str:
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except OSError as error:
        raise BackupError(f"{what} could not be started: {error}.") from error
    if result.returncode != 0:
        raise BackupError(f"{what} failed (exit {result.returncode}): {result.stderr.strip()[-2000:]}")
    return result.stdout


def pg_dump(settings_dict: dict, destination: Path) -> None:
    args, env = pg_connection_args(settings_dict)
    command = [pg_tool("pg_dump"), "--format=custom", "--file", str(destination), *args]
    _run([*command, "--dbname", settings_dict["NAME"]], env, "pg_dump")


def pg_dump_tables(settings_dict: dict, dump: Path) -> set[tuple[str, str]]:
    """(schema, table) of the tables a custom-format dump creates."""
    _args, env = pg_connection_args(settings_dict)
    listing = _run([pg_tool("pg_restore"), "--list", str(dump)], env, "pg_restore --list")
    tables = set()
    for line in listing.splitlines():
        # "215; 1259 16386 TABLE public accounts_user postgres"
        parts = line.split()
        if not line.startswith(";") and len(parts) >= 6 and parts[3] == "TABLE":
            tables.add((parts[4], parts[5]))
    return tables


def pg_load(connection, dump: Path) -> list[str]:
    """Restore a custom-format dump over the current database; return the extra tables dropped.

    Tables of the current database that the dump does not know (made by migrations newer than the
    backup) would keep pg_restore --clean from dropping the tables they reference: they are dropped
    first (their content is in the safety backup).
    """
    settings_dict = connection.settings_dict
    dumped = pg_dump_tables(settings_dict, dump)
    schemas = sorted({schema for schema, _table in dumped}) or ["public"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY(%s)", [schemas])
        extra = sorted(set(cursor.fetchall()) - dumped)
        for schema, table in extra:
            quote = connection.ops.quote_name
            cursor.execute(f"DROP TABLE IF EXISTS {quote(schema)}.{quote(table)} CASCADE")
    connection.close()  # pg_restore needs the locks; Django reconnects on next use
    args, env = pg_connection_args(settings_dict)
    command = [
        pg_tool("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-acl",
        "--single-transaction",
        "--exit-on-error",
        *args,
        "--dbname",
        settings_dict["NAME"],
        str(dump),
    ]
    _run(command, env, "pg_restore")
    return [f"{schema}.{table}" for schema, table in extra]


# --------------------------------------------------------------------------------------------------
# Writing an archive


class _HashingReader(io.RawIOBase):
    def __init__(self, raw):
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def read(self, n=-1):
        data = self.raw.read(n)
        self.sha.update(data)
        self.size += len(data)
        return data


def _add_file(tar: tarfile.TarFile, source: Path, arcname: str) -> dict:
    with open(source, "rb") as handle:
        stat = os.fstat(handle.fileno())
        info = tarfile.TarInfo(arcname)
        info.size = stat.st_size
        info.mtime = int(stat.st_mtime)
        info.mode = 0o644
        reader = _HashingReader(handle)
        tar.addfile(info, reader)
    return {"path": arcname, "size": reader.size, "sha256": reader.sha.hexdigest()}


def _add_bytes(tar: tarfile.TarFile, data: bytes, arcname: str) -> None:
    info = tarfile.TarInfo(arcname)
    info.size = len(data)
    info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def _excluded_dirs() -> list[Path]:
    return [backup_dir().resolve()]


def iter_media(root: Path):
    """(relative posix path, absolute path) of every regular file under ``root``, sorted."""
    if not root.is_dir():
        return
    excluded = _excluded_dirs()
    for current, dirs, files in os.walk(root):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if not any((here / d).resolve() == ex for ex in excluded))
        for name in sorted(files):
            path = here / name
            if path.is_symlink() or not path.is_file():
                continue
            yield path.relative_to(root).as_posix(), path


def create_backup(output_dir: Path | None = None, *, using: str = "default", prefix: str = BACKUP_PREFIX):
    """Write a new archive; return (path, manifest)."""
    connection = connections[using]
    engine = engine_of(connection)
    directory = Path(output_dir) if output_dir else backup_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = _new_archive_path(directory, prefix)
    partial = path.with_name(f".{path.name}.partial")
    created_at = dt.datetime.now(dt.UTC)
    connection.ensure_connection()
    manifest = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "created_at": created_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "django": django.get_version(),
        "database": {
            "engine": engine,
            "django_engine": connection.settings_dict["ENGINE"],
            "name": Path(str(connection.settings_dict["NAME"])).name
            if engine == "sqlite"
            else str(connection.settings_dict["NAME"]),
            "file": DB_MEMBERS[engine],
        },
        "migrations": migration_state(connection),
        "counts": table_counts(connection),
    }
    files = []
    media_bytes = 0
    try:
        with tempfile.TemporaryDirectory(prefix=".staging-", dir=directory) as staging:
            dump = Path(staging) / Path(DB_MEMBERS[engine]).name
            if engine == "sqlite":
                sqlite_dump(connection.connection, dump)
            else:
                pg_dump(connection.settings_dict, dump)
            with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
                files.append(_add_file(tar, dump, DB_MEMBERS[engine]))
                dump.unlink()
                for relative, absolute in iter_media(media_root()):
                    try:
                        entry = _add_file(tar, absolute, f"media/{relative}")
                    except FileNotFoundError:  # removed while we were walking
                        continue
                    files.append(entry)
                    media_bytes += entry["size"]
                manifest["media"] = {
                    "root": str(media_root()),
                    "count": len(files) - 1,
                    "bytes": media_bytes,
                }
                manifest["files"] = files
                _add_bytes(tar, json.dumps(manifest, indent=2, ensure_ascii=False).encode(), MANIFEST_NAME)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path, manifest


# --------------------------------------------------------------------------------------------------
# Reading and checking an archive


def _safe_member_name(name: str, *, directory: bool = False) -> str:
    posix = PurePosixPath(name)
    if posix.is_absolute() or ".." in posix.parts or "\\" in name or not posix.parts:
        raise BackupError(f"The archive holds an unsafe path ({name!r}); refusing it.")
    clean = posix.as_posix()
    if directory:
        return clean
    if clean != MANIFEST_NAME and clean not in DB_MEMBERS.values() and not clean.startswith("media/"):
        raise BackupError(f"The archive holds an unexpected file ({name!r}): not a Mourafaka backup.")
    return clean


def open_archive(path: Path, workdir: Path) -> Archive:
    """Unpack ``path`` into ``workdir`` and verify it completely against its manifest."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"No archive at {path}.")
    seen: dict[str, dict] = {}
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                if member.isdir():
                    _safe_member_name(member.name, directory=True)
                    continue
                name = _safe_member_name(member.name)
                if not member.isfile():
                    raise BackupError(f"The archive holds a link or device ({member.name!r}); refusing it.")
                if name in seen:
                    raise BackupError(f"The archive holds {name!r} twice; refusing it.")
                target = workdir / name
                target.parent.mkdir(parents=True, exist_ok=True)
                sha = hashlib.sha256()
                size = 0
                source = tar.extractfile(member)
                with open(target, "wb") as out:
                    while chunk := source.read(CHUNK):
                        sha.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                seen[name] = {"size": size, "sha256": sha.hexdigest()}
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise BackupError(
            f"{path.name} is not a readable backup archive (corrupt, truncated or not a .tar.gz): {error}"
        ) from error
    if MANIFEST_NAME not in seen:
        raise BackupError(f"{path.name} has no {MANIFEST_NAME}: it is not a Mourafaka backup.")
    try:
        manifest = json.loads((workdir / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise BackupError(f"The manifest of {path.name} is not valid JSON: {error}.") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path.name} is not a Mourafaka backup (its manifest is of another format).")
    if manifest.get("version") != FORMAT_VERSION:
        raise BackupError(
            f"{path.name} is a backup of format version {manifest.get('version')}; "
            f"this code reads version {FORMAT_VERSION}."
        )
    try:
        engine = manifest["database"]["engine"]
        listed = {entry["path"]: entry for entry in manifest["files"]}
        manifest["migrations"], manifest["counts"]  # noqa: B018 - presence check
    except (KeyError, TypeError) as error:
        raise BackupError(f"The manifest of {path.name} is incomplete ({error}).") from error
    if engine not in DB_MEMBERS or DB_MEMBERS[engine] not in listed:
        raise BackupError(f"The manifest of {path.name} names no database dump it can restore.")
    del seen[MANIFEST_NAME]
    missing = sorted(set(listed) - set(seen))
    if missing:
        raise BackupError(f"The archive is incomplete: {len(missing)} file(s) missing, e.g. {missing[0]}.")
    extra = sorted(set(seen) - set(listed))
    if extra:
        raise BackupError(f"The archive holds file(s) its manifest does not list, e.g. {extra[0]}.")
    for name, entry in sorted(listed.items()):
        if seen[name]["size"] != entry.get("size") or seen[name]["sha256"] != entry.get("sha256"):
            raise BackupError(f"Checksum mismatch for {name}: the archive is damaged or was altered.")
    return Archive(path=path, manifest=manifest, root=workdir)


def check_compatible(archive: Archive, connection) -> None:
    """Refuse an archive of another engine, or of code newer than this one."""
    current = engine_of(connection)
    if archive.engine != current:
        raise BackupError(
            f"The backup is of a {archive.engine} database but the current database is {current}: "
            "a restore needs the same engine."
        )
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    unknown = sorted(
        f"{app}.{name}" for app, name in archive.manifest["migrations"].items() if (app, name) not in known
    )
    if unknown:
        raise BackupError(
            "The backup was made by newer code than this one (migrations unknown here: "
            f"{', '.join(unknown[:5])}{'…' if len(unknown) > 5 else ''}). Deploy that version first."
        )


# --------------------------------------------------------------------------------------------------
# Restoring


def _sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def plan_media(archive: Archive, root: Path) -> RestorePlan:
    plan = RestorePlan()
    wanted = archive.media_files
    current = dict(iter_media(root))
    for relative, entry in sorted(wanted.items()):
        existing = current.get(relative)
        if (
            existing is not None
            and existing.stat().st_size == entry["size"]
            and _sha256(existing) == entry["sha256"]
        ):
            plan.unchanged.append(relative)
        else:
            plan.written.append(relative)
            if existing is not None:
                plan.set_aside.append(relative)
    plan.set_aside += sorted(set(current) - set(wanted))
    plan.set_aside.sort()
    return plan


def restore_media(archive: Archive, root: Path, plan: RestorePlan, aside: Path) -> None:
    for relative in plan.set_aside:
        source = root / relative
        if not source.exists():
            continue
        target = aside / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(source), str(target))
    for relative in plan.written:
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.restoring")
        shutil.copyfile(archive.root / "media" / relative, temporary)
        os.replace(temporary, target)


def restore_database(archive: Archive, connection) -> list[str]:
    """Replace the current database by the archive's; return the extra PostgreSQL tables dropped."""
    if connection.in_atomic_block:
        raise BackupError("Cannot restore inside a transaction.")
    dump = archive.root / archive.manifest["database"]["file"]
    if archive.engine == "sqlite":
        connection.close()  # a no-op for an in-memory database (closing would destroy it)
        connection.ensure_connection()
        sqlite_load(dump, connection.connection)
        connection.close()  # reopen with the usual PRAGMAs
        return []
    return pg_load(connection, dump)


def pending_migrations(connection) -> int:
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def count_differences(expected: dict[str, int], actual: dict[str, int]) -> list[str]:
    return [
        f"{label}: {actual.get(label, 'missing')} instead of {count}"
        for label, count in sorted(expected.items())
        if actual.get(label) != count
    ]
