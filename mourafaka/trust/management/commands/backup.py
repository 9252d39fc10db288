"""Back up the database and the uploaded files into one archive (run nightly by cron)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mourafaka.trust import backups


class Command(BaseCommand):
    help = (
        "Save the database and the uploaded files (MEDIA_ROOT) into one archive "
        "mourafaka-backup-<UTC timestamp>.tar.gz with a manifest (checksums, migration state, counts). "
        "Archives go to MOURAFAKA['BACKUP_DIR'] (default var/backups) unless --output is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="Folder for the archive (created if missing).")
        parser.add_argument(
            "--keep",
            type=int,
            metavar="N",
            help="Afterwards keep only the N newest archives of that folder (older ones are removed).",
        )
        parser.add_argument("--database", default="default", help="Database alias (default: default).")

    def handle(self, *args, output, keep, database, **options):
        if keep is not None and keep < 1:
            raise CommandError("--keep must be at least 1.")
        directory = output or backups.backup_dir()
        try:
            path, manifest = backups.create_backup(directory, using=database)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        media = manifest["media"]
        dump = manifest["files"][0]
        self.stdout.write(
            self.style.SUCCESS(f"Saved {path} ({backups.human_size(path.stat().st_size)}).")
            + f"\n  database: {manifest['database']['engine']} {manifest['database']['name']}, "
            f"dump {backups.human_size(dump['size'])}; {backups.key_counts(manifest['counts'])}"
            f"\n  uploaded files: {media['count']} ({backups.human_size(media['bytes'])}) from {media['root']}"
        )
        if keep is not None:
            for removed in backups.prune(Path(directory), keep):
                self.stdout.write(f"Removed old backup {removed.name}.")
