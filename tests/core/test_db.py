"""core.db.retry_on_integrity_error: unique-key races and database deadlocks."""

import psycopg
import pytest
from django.db import IntegrityError, OperationalError

from core import db
from core.db import is_deadlock, retry_on_integrity_error


class FlakyWrite:
    """A write that fails with ``error`` the first ``failures`` times, then returns "written"."""

    def __init__(self, error: Exception, failures: int = 1) -> None:
        self.error, self.failures, self.calls = error, failures, 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "written"


def mysql_deadlock() -> OperationalError:
    return OperationalError(1213, "Deadlock found when trying to get lock; try restarting transaction")


def postgres_deadlock() -> OperationalError:
    error = OperationalError("deadlock detected")
    error.__cause__ = psycopg.errors.DeadlockDetected("deadlock detected")
    return error


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db.time, "sleep", lambda seconds: None)


def test_deadlocks_are_recognised_on_mysql_and_postgresql() -> None:
    assert is_deadlock(mysql_deadlock())
    assert is_deadlock(postgres_deadlock())
    assert not is_deadlock(OperationalError(2006, "MySQL server has gone away"))
    assert not is_deadlock(IntegrityError(1062, "Duplicate entry"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("error", [mysql_deadlock(), postgres_deadlock()], ids=["mysql", "postgresql"])
def test_the_transaction_owner_runs_the_write_again_after_a_deadlock(error: OperationalError) -> None:
    write = FlakyWrite(error)
    assert retry_on_integrity_error(write) == "written"
    assert write.calls == 2


@pytest.mark.django_db(transaction=True)
def test_a_write_that_keeps_deadlocking_fails_after_the_last_attempt() -> None:
    write = FlakyWrite(mysql_deadlock(), failures=5)
    with pytest.raises(OperationalError):
        retry_on_integrity_error(write, attempts=3)
    assert write.calls == 3


@pytest.mark.django_db
def test_inside_a_callers_transaction_a_deadlock_is_left_to_the_caller() -> None:
    # The database rolled the whole transaction back: only whoever opened it may run it again.
    write = FlakyWrite(mysql_deadlock())
    with pytest.raises(OperationalError):
        retry_on_integrity_error(write)
    assert write.calls == 1


@pytest.mark.django_db(transaction=True)
def test_other_database_errors_are_not_retried() -> None:
    write = FlakyWrite(OperationalError(2006, "MySQL server has gone away"))
    with pytest.raises(OperationalError):
        retry_on_integrity_error(write)
    assert write.calls == 1


@pytest.mark.django_db
def test_a_lost_unique_key_race_is_retried() -> None:
    write = FlakyWrite(IntegrityError(1062, "Duplicate entry"))
    assert retry_on_integrity_error(write) == "written"
    assert write.calls == 2


@pytest.mark.django_db(transaction=True)
def test_a_learner_write_that_deadlocked_is_run_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # learner_get_or_create goes through the same helper: before, it retried IntegrityError only.
    from core import services
    from core.services import learner_get_or_create

    real, calls = services._rows_lock, []

    def deadlock_once(accounts):  # type: ignore[no-untyped-def]
        calls.append(accounts)
        if len(calls) == 1:
            raise mysql_deadlock()
        return real(accounts)

    monkeypatch.setattr(services, "_rows_lock", deadlock_once)
    user = learner_get_or_create(username="racer", lms_user_id=4242, email="racer@example.com")
    assert (user.username, user.lms_user_id, len(calls)) == ("racer", 4242, 2)


class _Built:
    """What a build made, and how many builds there were."""

    def __init__(self) -> None:
        self.builds = 0

    def __call__(self, rows: object) -> object:
        def build() -> object:
            self.builds += 1
            return {"from": rows, "build": self.builds}

        return build


def test_equal_rows_give_the_value_built_the_first_time() -> None:
    memo: db.BuiltFromRows[str, object] = db.BuiltFromRows(size=4)
    made = _Built()
    first = memo.get("program", [(1, "a")], made([(1, "a")]))

    again = memo.get("program", [(1, "a")], made([(1, "a")]))

    assert again is first and made.builds == 1


def test_different_rows_build_again_and_replace_the_remembered_value() -> None:
    memo: db.BuiltFromRows[str, object] = db.BuiltFromRows(size=4)
    made = _Built()
    memo.get("program", [(1, "a")], made([(1, "a")]))

    changed = memo.get("program", [(1, "b")], made([(1, "b")]))
    back = memo.get("program", [(1, "a")], made([(1, "a")]))

    assert changed == {"from": [(1, "b")], "build": 2}
    assert back == {"from": [(1, "a")], "build": 3}  # one value per key: the latest rows' only


def test_keys_are_apart_and_the_oldest_built_goes_first_beyond_the_size() -> None:
    memo: db.BuiltFromRows[str, object] = db.BuiltFromRows(size=2)
    made = _Built()
    for key in ("a", "b", "c"):
        memo.get(key, [key], made([key]))

    memo.get("b", ["b"], made(["b"]))
    memo.get("c", ["c"], made(["c"]))
    assert made.builds == 3  # b and c remembered
    memo.get("a", ["a"], made(["a"]))
    assert made.builds == 4  # a was dropped when c came
