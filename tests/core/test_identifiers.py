"""core.identifiers: the username, LMS user id and email rules every entry path applies."""

import pytest

from core.identifiers import is_lms_user_id, is_storable_email, username_invalid_reason


@pytest.mark.parametrize(
    ("value", "accepted"),
    [(1, True), (2**63 - 1, True), (0, False), (-5, False), (2**63, False), (True, False), ("7", False), (7.0, False)],
)
def test_an_lms_user_id_is_a_positive_64_bit_json_integer(value, accepted):
    assert is_lms_user_id(value) is accepted


@pytest.mark.parametrize("username", ["ab", "ana.b@c+d-e", "José Núñez", "x" * 150])
def test_usernames_the_lms_issues_are_accepted(username):
    assert username_invalid_reason(username) is None


@pytest.mark.parametrize("username", ["a", "x" * 151, "ana/b", "ana\x00", "ana\ud800", 7, None])
def test_other_usernames_are_refused_with_the_rule(username):
    assert "the LMS's rule" in (username_invalid_reason(username) or "")


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("ana@example.com", True),
        ("a" * 242 + "@example.com", True),  # 254 characters: the column's width
        ("a" * 243 + "@example.com", False),
        ("  ana@example.com  ", True),  # stored trimmed
        ("ana\x00@example.com", False),
        ("ana\ud800@example.com", False),
        (7, False),
        (None, False),
    ],
)
def test_an_email_is_a_string_the_email_column_can_hold(value, accepted):
    assert is_storable_email(value) is accepted
