"""python manage.py load_demo_data : a small, repeatable demo data set.

Each app may provide ``<app>/demo.py`` with ``load_demo() -> str``; they run in INSTALLED_APPS order
(catalog before learner records) inside one transaction. Idempotent: a second run changes nothing.
"""

import importlib
import importlib.util
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from core.history import history_source


class Command(BaseCommand):
    help = "Load the demo data set of every app (catalog, programs, learners, credentials). Safe to repeat."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        for config in apps.get_app_configs():
            if importlib.util.find_spec(f"{config.name}.demo") is None:
                continue
            with history_source("demo data"):  # the history rows it writes say so
                summary = importlib.import_module(f"{config.name}.demo").load_demo()
            self.stdout.write(f"{config.label}: {summary}")
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
