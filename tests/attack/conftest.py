"""Fixtures of the attack suite."""

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from tests.attack import world as world_data


@pytest.fixture
def world(db: None, settings: Any) -> Iterator[None]:
    """The learner SELF with a credential, an enrollment and a credit request, a program, a credit course and
    provider, a user per role, and a fake Discovery for the sync operations."""
    with world_data.world(settings):
        yield


@dataclasses.dataclass
class FuzzStats:
    """What the schemathesis run did, printed at the end of the session (docs/reliability.rst quotes it)."""

    operations: set[str] = dataclasses.field(default_factory=set)
    requests: int = 0
    server_errors: int = 0


FUZZ_STATS = FuzzStats()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FUZZ_STATS.requests:
        terminalreporter.write_line(
            f"schemathesis: {len(FUZZ_STATS.operations)} operations fuzzed, {FUZZ_STATS.requests} requests sent, "
            f"{FUZZ_STATS.server_errors} answered 5xx"
        )
