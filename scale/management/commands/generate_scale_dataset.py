"""python manage.py generate_scale_dataset --learners N [--credentials-per-learner K] [--programs P] [--seed S]

Writes a synthetic data set (scale/dataset.py) for growth measurements: ``make bench scale`` and
docs/scaling.rst. It adds to what the database holds; by default it refuses a database that already
has learners it did not generate, so it is not run against a live site by mistake.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.models import User
from scale.dataset import Shape, generate, generated_learners


def _positive(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = "Generate a synthetic Open edX-shaped data set (catalog, learners and their records) for scale tests."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--learners", type=_positive, required=True)
        parser.add_argument("--credentials-per-learner", type=_positive, default=10)
        parser.add_argument("--programs", type=_positive, default=200)
        parser.add_argument("--courses", type=_positive, default=1_000, help="About five runs are made per course.")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--into-existing-data",
            action="store_true",
            help="Allow a database that already holds learners this command did not generate.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        others = User.objects.filter(is_staff=False).exclude(pk__in=generated_learners().values("pk")).exists()
        if others and not options["into_existing_data"]:
            raise CommandError(
                "This database holds learners this command did not generate; pass --into-existing-data "
                "if it really is a test database."
            )
        shape = Shape(
            learners=options["learners"],
            credentials_per_learner=options["credentials_per_learner"],
            programs=options["programs"],
            courses=options["courses"],
            seed=options["seed"],
        )
        try:
            report = generate(shape)
        except ValueError as error:
            raise CommandError(str(error)) from error
        for table, rows in report.rows.items():
            self.stdout.write(f"{table:30} {rows:>12,} rows {report.seconds[table]:8.1f} s")
        self.stdout.write(self.style.SUCCESS(f"{report.total_rows:,} rows in {sum(report.seconds.values()):.1f} s"))
