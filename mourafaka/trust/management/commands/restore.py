"""Restore the database and the uploaded files from an archive made by `manage.py backup`."""

import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from mourafaka.trust import backups


class Command(BaseCommand):
    help = (
        "Restore the database and the uploaded files from a backup archive, after checking its checksums, "
        "its database engine and its migration state. Without --yes, only says what would be replaced. "
        "Current uploaded files that are not in the backup (or differ) are moved to "
        "<BACKUP_DIR>/set-aside-<timestamp>/media/, and a safety backup of the current state is saved first."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="The .tar.gz archive made by `manage.py backup`.")
        parser.add_argument("--yes", action="store_true", help="Really replace the current data.")
        parser.add_argument(
            "--no-safety-backup",
            action="store_true",
            help="Do not save the current state before restoring (faster; the current database is lost).",
        )
        parser.add_argument("--database", default="default", help="Database alias (default: default).")

    def handle(self, *args, archive, yes, no_safety_backup, database, **options):
        connection = connections[database]
        directory = backups.backup_dir()
        directory.mkdir(parents=True, exist_ok=True)
        try:
            with tempfile.TemporaryDirectory(prefix=".restore-", dir=directory) as workdir:
                verified = backups.open_archive(archive, Path(workdir))
                backups.check_compatible(verified, connection)
                self._restore(verified, connection, directory, yes=yes, safety=not no_safety_backup)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error

    def _restore(self, archive, connection, directory, *, yes, safety):
        manifest = archive.manifest
        root = backups.media_root()
        plan = backups.plan_media(archive, root)
        aside = directory / f"set-aside-{backups.utc_stamp()}" / "media"
        current_counts = backups.table_counts(connection)
        settings_name = connection.settings_dict["NAME"]
        self.stdout.write(
            f"Archive {archive.path.name}: made {manifest['created_at']} from {manifest['database']['engine']} "
            f"{manifest['database']['name']}, checksums verified.\n"
            f"  backup:  {backups.key_counts(manifest['counts'])}; {manifest['media']['count']} uploaded file(s)\n"
            f"  current: {backups.key_counts(current_counts)}"
        )
        replaces = (
            f"This replaces the whole {connection.vendor} database {settings_name} by the backup, and in {root}: "
            f"{len(plan.written)} file(s) written, {len(plan.unchanged)} unchanged, "
            f"{len(plan.set_aside)} current file(s) not in the backup or different moved to {aside}."
        )
        if not yes:
            self.stdout.write(replaces)
            for relative in plan.set_aside[:20]:
                self.stdout.write(f"  would set aside: {relative}")
            raise CommandError("Nothing was changed: run again with --yes to restore.")
        self.stdout.write(replaces)
        if safety:
            path, _manifest = backups.create_backup(
                directory, using=connection.alias, prefix=backups.SAFETY_PREFIX
            )
            self.stdout.write(f"Safety backup of the current state: {path}")
        dropped = backups.restore_database(archive, connection)
        if dropped:
            self.stdout.write(f"Tables unknown to the backup dropped: {', '.join(dropped)}")
        backups.restore_media(archive, root, plan, aside)
        self.stdout.write(f"Database restored; {len(plan.written)} uploaded file(s) restored.")
        if plan.set_aside:
            self.stdout.write(f"{len(plan.set_aside)} file(s) moved aside to {aside}.")
        differences = backups.count_differences(manifest["counts"], backups.table_counts(connection))
        if differences:
            raise CommandError(
                "Restored, but the row counts differ from the manifest: " + "; ".join(differences)
            )
        pending = backups.pending_migrations(connection)
        if pending:
            self.stdout.write(
                self.style.WARNING(
                    f"The backup predates {pending} migration(s): run `manage.py migrate` now."
                )
            )
        self.stdout.write(
            self.style.SUCCESS(f"Restored from {archive.path.name}; row counts match the manifest.")
        )
