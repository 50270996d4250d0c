"""Reads of learner identity."""

import re
from collections.abc import Collection

from django.contrib.auth import get_user_model
from django.db.models import Q

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


def learners_find_many(
    *, lms_user_ids: Collection[int] = (), usernames: Collection[str] = ()
) -> tuple[dict[int, User], dict[str, User]]:
    """The learners with these LMS user ids or usernames, by LMS user id and by username (one query per 500)."""
    by_id: dict[int, User] = {}
    by_name: dict[str, User] = {}
    ids, names = sorted(set(lms_user_ids)), sorted(set(usernames))
    for start in range(0, max(len(ids), len(names)), 500):
        matches = Q(lms_user_id__in=ids[start : start + 500]) | Q(username__in=names[start : start + 500])
        for user in get_user_model().objects.filter(matches):
            by_name[user.username] = user
            if user.lms_user_id is not None:
                by_id[user.lms_user_id] = user
    return by_id, by_name
