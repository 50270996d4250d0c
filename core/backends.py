"""Password sign-in (admin, support console) with a limit on failed attempts.

Every browser login form of the service goes through ``django.contrib.auth.authenticate`` and so
through this backend: after ``LOGIN_FAILURE_LIMIT`` failed attempts for one username from one
address within ``LOGIN_FAILURE_WINDOW_SECONDS``, further attempts are refused without checking the
password (a guessed password then gains nothing) until the window passes. Keyed on address *and*
username, so nobody can lock a learner or a colleague out from elsewhere.
"""

import hashlib
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.dispatch import receiver
from django.http import HttpRequest

log = logging.getLogger(__name__)


def _failures_key(request: HttpRequest | None, username: str | None) -> str:
    address = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    digest = hashlib.sha256(f"{address}\n{(username or '').lower()}".encode()).hexdigest()
    return f"login-failures:{digest}"


class ThrottledModelBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if cache.get(_failures_key(request, username), 0) >= settings.LOGIN_FAILURE_LIMIT:
            log.warning("login_throttled", extra={"username": username})
            # A ValidationError reaches the login form as its error (a PermissionDenied would read
            # as a wrong password, and the user would keep trying).
            minutes = max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60)
            raise ValidationError(
                f"Too many failed sign-ins for this account from your address; try again in {minutes} minutes.",
                code="login_throttled",
            )
        return super().authenticate(request, username=username, password=password, **kwargs)


@receiver(user_login_failed)
def _count_failure(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    key = _failures_key(request, credentials.get("username"))
    if cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)


@receiver(user_logged_in)
def _forget_failures(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    cache.delete(_failures_key(request, user.get_username()))
