import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mourafaka.cooperatives import synthetic


class Command(BaseCommand):
    help = (
        "Generate the synthetic national registry (60,939 cooperatives, about 764,000 members): "
        "write it as import files and/or load it into the database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed", type=int, default=synthetic.DEFAULT_SEED, help="same seed, same registry"
        )
        parser.add_argument(
            "--cooperatives",
            type=int,
            default=synthetic.NATIONAL_COOPERATIVES,
            help="number of cooperatives (members scale with it)",
        )
        parser.add_argument("--cooperatives-file", type=Path, help="write the cooperatives import file (CSV)")
        parser.add_argument("--members-file", type=Path, help="write the members import file (CSV)")
        parser.add_argument("--load", action="store_true", help="insert the registry into the database")

    def handle(self, *args, seed, cooperatives, cooperatives_file, members_file, load, **options):
        if cooperatives < 1:
            raise CommandError("--cooperatives must be at least 1.")
        if not (cooperatives_file or members_file or load):
            raise CommandError("Say what to do: --cooperatives-file, --members-file and/or --load.")
        started = time.perf_counter()
        if cooperatives_file or members_file:
            counts = synthetic.write_files(
                synthetic.generate(seed=seed, cooperatives=cooperatives),
                cooperatives_file=cooperatives_file,
                members_file=members_file,
                progress=self._progress,
            )
            self._done("written", counts, started)
        if load:
            started = time.perf_counter()
            try:
                counts = synthetic.load(
                    synthetic.generate(seed=seed, cooperatives=cooperatives), progress=self._progress
                )
            except synthetic.AlreadyLoaded as error:
                raise CommandError(
                    f"Cooperative {error} is already in the database: the synthetic registry is loaded."
                ) from error
            self._done("loaded", counts, started)

    def _progress(self, cooperatives: int, members: int) -> None:
        if cooperatives % 10_000 == 0:
            self.stderr.write(f"  {cooperatives:,} cooperatives, {members:,} members")

    def _done(self, verb: str, counts: tuple[int, int], started: float) -> None:
        cooperatives, members = counts
        seconds = time.perf_counter() - started
        self.stdout.write(f"{cooperatives:,} cooperatives and {members:,} members {verb} in {seconds:.1f} s.")
