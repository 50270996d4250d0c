"""Reads of the support console that the learner status APIs do not already offer."""

import re

from django.conf import settings
from django.db.models import Q, QuerySet

from core.models import User

MAX_SEARCH_RESULTS = 25
# ASCII digits only (str.isdigit also accepts "²" and other scripts' digits, which int() refuses or
# reads as another number), and short enough to fit lms_user_id's 64-bit column on every database.
LMS_USER_ID_TEXT = re.compile(r"[0-9]{1,18}")


def learners() -> QuerySet[User]:
    """Users who are learners: not staff, not holding a role, not a configured service account.

    Service accounts (the LMS's worker, a status reader, the retirement user) and support staff hold
    roles or staff status; they have no learner records and would crowd the console's results.
    """
    return (
        User.objects.filter(is_staff=False, is_superuser=False, groups__isnull=True)
        .exclude(username__in=settings.LEARNER_STATUS_WORKERS)
        .distinct()
    )


def learner_search(text: str) -> list[User]:
    """Learners whose username, email or LMS user id is ``text``; else whose username or email contains it.

    Exact matches come first and alone, so typing a known username lands on one learner. Only up to
    18 ASCII digits are read as an LMS user id; any other text is matched as a username or email.
    """
    text = text.strip()
    if not text:
        return []
    exact = Q(username__iexact=text) | Q(email__iexact=text)
    if LMS_USER_ID_TEXT.fullmatch(text):
        exact |= Q(lms_user_id=int(text))
    found = list(learners().filter(exact).order_by("username")[:MAX_SEARCH_RESULTS])
    if found:
        return found
    partial = Q(username__icontains=text) | Q(email__icontains=text)
    return list(learners().filter(partial).order_by("username")[:MAX_SEARCH_RESULTS])
