"""Database helpers shared by the apps' services."""

from collections.abc import Callable
from typing import TypeVar

from django.db import IntegrityError, transaction

T = TypeVar("T")


def retry_on_integrity_error(write: Callable[[], T], *, attempts: int = 3) -> T:
    """Run ``write`` in its own transaction, again when a concurrent writer won a unique-key race.

    ``write`` must read-then-write by natural key, so that a retry finds the row the winner made.
    """
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                return write()
        except IntegrityError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")
