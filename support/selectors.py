"""Reads of the support console that the learner status APIs do not already offer."""

from django.db.models import Q

from core.models import User

MAX_SEARCH_RESULTS = 25


def learner_search(text: str) -> list[User]:
    """Learners whose username, email or LMS user id is ``text``; else whose username or email contains it.

    Exact matches come first and alone, so typing a known username lands on one learner.
    """
    text = text.strip()
    if not text:
        return []
    exact = Q(username__iexact=text) | Q(email__iexact=text)
    if text.isdigit():
        exact |= Q(lms_user_id=int(text))
    found = list(User.objects.filter(exact).order_by("username")[:MAX_SEARCH_RESULTS])
    if found:
        return found
    partial = Q(username__icontains=text) | Q(email__icontains=text)
    return list(User.objects.filter(partial).order_by("username")[:MAX_SEARCH_RESULTS])
