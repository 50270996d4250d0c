"""Reads of learner identity."""

import re

from django.contrib.auth import get_user_model

from core.models import User

# Search text read as an LMS user id: ASCII digits only (str.isdigit also accepts "²" and other scripts'
# digits, which int() refuses or reads as another number), and short enough to fit lms_user_id's
# 64-bit column on every database.
LMS_USER_ID_TEXT = re.compile(r"[0-9]{1,18}")


def learner_find(*, username: str | None = None, lms_user_id: int | None = None) -> User | None:
    """The learner with this LMS user id, else this username; ``None`` when unknown."""
    users = get_user_model().objects
    if lms_user_id is not None:
        return users.filter(lms_user_id=lms_user_id).first()
    if username:
        return users.filter(username=username).first()
    return None


def learner_find_by_email(*, email: str) -> User | None:
    """A learner with this email (case-insensitive); ``None`` when unknown."""
    return get_user_model().objects.filter(email__iexact=email).first()
