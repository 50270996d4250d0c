"""ADR 0003's identity rules, through both write paths: one learner and a batch of accounts."""

import logging

import pytest

from core.api import (
    LearnerAccount,
    LearnerIdentityConflict,
    User,
    learner_get_or_create,
    learners_get_or_create_many,
)
from core.signals import learner_identified, learners_identified

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored():
    """ADR 0003's example state: row 1 ("ana", 7), row 2 ("bo", 8), row 3 ("cy", no id)."""
    return [
        User.objects.create(username="ana", lms_user_id=7, email="ana@example.com"),
        User.objects.create(username="bo", lms_user_id=8, email="bo@example.com"),
        User.objects.create(username="cy", email="cy@example.com"),
    ]


@pytest.fixture
def signals():
    """Every learner_identified / learners_identified sent during the test, as ("one"|"many", usernames)."""
    sent: list[tuple[str, list[str]]] = []

    def one(sender, learner, **kwargs):
        sent.append(("one", [learner.username]))

    def many(sender, learners, **kwargs):
        sent.append(("many", sorted(learner.username for learner in learners)))

    learner_identified.connect(one, dispatch_uid="test.one")
    learners_identified.connect(many, dispatch_uid="test.many")
    yield sent
    learner_identified.disconnect(dispatch_uid="test.one")
    learners_identified.disconnect(dispatch_uid="test.many")


def rows():
    return sorted(User.objects.values_list("pk", "username", "lms_user_id", "email"))


def write(path: str, account: LearnerAccount) -> User | LearnerIdentityConflict:
    if path == "many":
        [result] = learners_get_or_create_many(accounts=[account])
        return result
    try:
        return learner_get_or_create(username=account.username, lms_user_id=account.lms_user_id, email=account.email)
    except LearnerIdentityConflict as exc:
        return exc


@pytest.mark.parametrize("path", ["one", "many"])
@pytest.mark.parametrize(
    ("account", "expected_row", "conflict"),
    [
        # A known id under another username: a rename, the row keeps its pk.
        (LearnerAccount("ana_b", 7), (0, "ana_b", 7, "ana@example.com"), None),
        # A known username without an id adopts it.
        (LearnerAccount("cy", 9), (2, "cy", 9, "cy@example.com"), None),
        # The email is stored lower-cased and replaces the stored one.
        (LearnerAccount("bo", 8, " BO@Example.org "), (1, "bo", 8, "bo@example.org"), None),
        # Neither known: a new row.
        (LearnerAccount("dee", 10, "Dee@Example.com"), (3, "dee", 10, "dee@example.com"), None),
        (LearnerAccount("ana", 9), None, "Username 'ana' is held by LMS user id 7, not 9."),
        (LearnerAccount("bo", 7), None, "Username 'bo' belongs to another learner than LMS user id 7."),
    ],
)
def test_both_paths_apply_the_same_rules(stored, path, account, expected_row, conflict):
    before = rows()
    result = write(path, account)
    if conflict is not None:
        assert isinstance(result, LearnerIdentityConflict)
        assert str(result.detail) == conflict
        assert rows() == before  # nothing changed
        return
    index, username, lms_user_id, email = expected_row
    assert isinstance(result, User)
    if index < len(stored):
        assert result.pk == stored[index].pk
    else:
        assert result.pk not in {row.pk for row in stored}
    expected = {row[0]: row for row in before} | {result.pk: (result.pk, username, lms_user_id, email)}
    assert rows() == sorted(expected.values())


def test_a_batch_is_each_account_in_turn_seeing_the_ones_before(stored, signals, caplog):
    ana, bo, _ = stored
    with caplog.at_level(logging.INFO, logger="core.services"):
        results = learners_get_or_create_many(
            accounts=[
                LearnerAccount("ana_b", 7),  # rename: frees "ana"
                LearnerAccount("ana", 9, "new.ana@example.com"),  # so a new learner may take it
                LearnerAccount("bo", 7),  # id 7 is "ana_b" now: a conflict, bo untouched
                LearnerAccount("eve", 11, "eve@example.com"),
                LearnerAccount("eve", 11, "EVE@example.com"),  # the same account again: the same row
                LearnerAccount("eve", 12),  # "eve" was just taken by id 11
            ]
        )
    renamed = [r for r in caplog.records if r.getMessage() == "learner_renamed"]
    assert [(r.lms_user_id, r.old, r.new) for r in renamed] == [(7, "ana", "ana_b")]
    assert [(r.accounts, r.added, r.updated) for r in caplog.records if r.getMessage() == "learners_recorded"] == [
        (6, 2, 1)
    ]
    new_ana = User.objects.get(username="ana")
    eve = User.objects.get(username="eve")
    assert [r.pk if isinstance(r, User) else str(r.detail) for r in results] == [
        ana.pk,
        new_ana.pk,
        "Username 'bo' belongs to another learner than LMS user id 7.",
        eve.pk,
        eve.pk,
        "Username 'eve' is held by LMS user id 11, not 12.",
    ]
    assert rows() == sorted(
        [
            (ana.pk, "ana_b", 7, "ana@example.com"),
            (bo.pk, "bo", 8, "bo@example.com"),
            (stored[2].pk, "cy", None, "cy@example.com"),
            (new_ana.pk, "ana", 9, "new.ana@example.com"),
            (eve.pk, "eve", 11, "eve@example.com"),
        ]
    )
    # One signal for the batch, with the learners whose account named an email; none per learner.
    assert signals == [("many", ["ana", "eve"])]


def test_a_batch_signals_the_accounts_that_name_an_email_changed_or_not(stored, signals):
    learners_get_or_create_many(accounts=[LearnerAccount("zed", 20), LearnerAccount("bo", 8)])
    assert User.objects.filter(username="zed", lms_user_id=20, email="").exists()
    assert signals == []
    # ana's email is unchanged, but an account naming it is an arrival: its pending rows are checked.
    learners_get_or_create_many(accounts=[LearnerAccount("ana", 7, "ana@example.com"), LearnerAccount("zed", 20)])
    assert signals == [("many", ["ana"])]


def test_crossing_renames_in_one_batch_are_written_one_by_one_with_one_signal(stored, signals, caplog):
    """ "ana" and "bo" swap names through a third one: sequential calls can, one UPDATE of the batch cannot."""
    ana, bo, _ = stored
    with caplog.at_level(logging.INFO, logger="core.services"):
        results = learners_get_or_create_many(
            accounts=[
                LearnerAccount("tmp", 7),
                LearnerAccount("ana", 8, "bo@example.org"),
                LearnerAccount("bo", 7),
                LearnerAccount("fay", 13, "fay@example.com"),
            ]
        )
    assert "learners_get_or_create_one_by_one" in caplog.messages
    fay = User.objects.get(username="fay")
    assert [r.pk for r in results if isinstance(r, User)] == [ana.pk, bo.pk, ana.pk, fay.pk]
    assert rows() == sorted(
        [
            (ana.pk, "bo", 7, "ana@example.com"),
            (bo.pk, "ana", 8, "bo@example.org"),
            (stored[2].pk, "cy", None, "cy@example.com"),
            (fay.pk, "fay", 13, "fay@example.com"),
        ]
    )
    assert signals == [("many", ["ana", "fay"])]


@pytest.mark.parametrize("count", [3, 30])
def test_a_batch_costs_the_same_queries_for_3_and_30_accounts(stored, count, django_assert_num_queries):
    # Per size: a third renamed, a third new, a third unchanged (the new ones exist from a first batch).
    existing = [User.objects.create(username=f"old{i}", lms_user_id=100 + i) for i in range(count // 3)]
    accounts = [LearnerAccount(f"renamed{i}", user.lms_user_id) for i, user in enumerate(existing)]
    accounts += [LearnerAccount(f"new{i}", 200 + i, f"new{i}@example.com") for i in range(count // 3)]
    accounts += [LearnerAccount("ana", 7)] * (count - len(accounts))
    # Savepoint, find, lock, UPDATE, INSERT, release; then enrollments looks for the new emails' pending rows.
    with django_assert_num_queries(7):
        results = learners_get_or_create_many(accounts=accounts)
    assert all(isinstance(result, User) for result in results)
    assert User.objects.filter(username__startswith="renamed").count() == count // 3
    assert User.objects.filter(username__startswith="new", email__startswith="new").count() == count // 3
