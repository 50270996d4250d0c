"""Reads of learner identity."""

import re
from collections.abc import Collection

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q

from core.db import Table, columns_read
from core.models import User

# Search text read as an LMS user id: ASCII digits only (str.isdigit also accepts "²" and other scripts'
# digits, which int() refuses or reads as another number), and short enough to fit lms_user_id's
# 64-bit column on every database.
LMS_USER_ID_TEXT = re.compile(r"[0-9]{1,18}")


def learner_find(*, username: str | None = None, lms_user_id: int | None = None) -> User | None:
    """The learner with this LMS user id, else this username; ``None`` when unknown.

    A hand-written statement (``core.db.columns_read``, the model built with ``Model.from_db`` as the ORM
    builds it): authentication reads the learner at every request, and building the ORM's query took
    longer than running it (issue 17). ``=`` compares as the ORM's ``exact`` does: exactly, on every
    database (identifier columns are binary-collated on MariaDB, ``core.collation``).
    """
    value: int | str
    if lms_user_id is not None:
        column, value = "lms_user_id", lms_user_id
    elif username:
        column, value = "username", username
    else:
        return None
    fields = User._meta.concrete_fields
    sql = (
        f"SELECT {_USERS.select(*(f.name for f in fields))} FROM {_USERS.table}"  # noqa: S608
        f" WHERE {_USERS.column(column)} = %s ORDER BY {_USERS.column('id')} LIMIT 1"
    )
    rows = columns_read(sql, [value], fields)
    return User.from_db(connection.alias, [f.attname for f in fields], rows[0]) if rows else None


_USERS = Table(User._meta)


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
