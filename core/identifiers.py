"""The rules a learner's identifiers follow, for every path that takes one from outside.

Write paths (``core.services.LearnerAccount``), JWT authentication (``core.authentication``), the
retirement API and the LMS client's account reads all ask here, so a username, an LMS user id or an
email address is accepted or refused alike wherever it arrives (ADR 0003).
"""

import re
from typing import TypeGuard

from core.fields import MAX_DB_INTEGER
from core.models import EMAIL_MAX_LENGTH, USERNAME_MAX_LENGTH
from core.parsers import unstorable_reason

# The LMS's username rule: edx-platform's ``USERNAME_REGEX_PARTIAL`` (the rule of its most permissive
# setting, Unicode usernames on) and its ``USERNAME_MIN_LENGTH``. Its ``USERNAME_MAX_LENGTH`` is a
# setting (30 by default) up to Django's 150, and retired usernames are longer than 30, so the
# column's 150 is the maximum here.
_USERNAME_CHARACTERS = re.compile(r"[\w .@+-]+")
USERNAME_MIN_LENGTH = 2


def username_invalid_reason(username: object) -> str | None:
    """Why the LMS could not hold ``username`` (or a row of this service could not), or None when it could."""
    rule = (
        f"A username is {USERNAME_MIN_LENGTH} to {USERNAME_MAX_LENGTH} characters: letters, digits, spaces "
        "and _ . @ + - (the LMS's rule)."
    )
    if not isinstance(username, str) or not USERNAME_MIN_LENGTH <= len(username) <= USERNAME_MAX_LENGTH:
        return rule
    if not _USERNAME_CHARACTERS.fullmatch(username):
        return rule  # also refuses NUL and unpaired surrogates
    return None


def is_lms_user_id(value: object) -> TypeGuard[int]:
    """A JSON integer the LMS could have issued as a user id and every database can store: 1 to 2**63 - 1.

    ``True`` is refused although Python counts it as the integer 1.
    """
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_DB_INTEGER


def is_storable_email(value: object) -> TypeGuard[str]:
    """A string whose trimmed form fits the email column (254), without NUL or unpaired surrogates.

    Not a syntax check: an address the LMS holds is taken as the LMS holds it.
    """
    return isinstance(value, str) and len(value.strip()) <= EMAIL_MAX_LENGTH and unstorable_reason(value) is None
