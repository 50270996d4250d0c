"""Password sign-in (admin, support console) with a limit on failed attempts.

Every browser login form of the service goes through ``django.contrib.auth.authenticate`` and so
through this backend: after ``LOGIN_FAILURE_LIMIT`` failed attempts against one account from one
client address within ``LOGIN_FAILURE_WINDOW_SECONDS``, further attempts are refused without
checking the password (a guessed password then gains nothing) until the window passes.

What is counted (docs/decisions/0009-client-addresses-behind-proxies.rst):

* the client address as ``core.client_address`` resolves it behind ``TRUSTED_PROXY_COUNT`` proxies,
  so nobody can lock a colleague out from another address, also when every request arrives from
  the TLS proxy;
* the *account* the typed username resolves to, by the same lookup that checks the password: every
  spelling the database matches to one account (``SAM``, ``sám`` on a case- and accent-insensitive
  collation) spends that account's single budget. A username that resolves to no account has a budget
  of its own, keyed on its case- and accent-folded spelling: it cannot spend a real account's budget,
  and it is refused after the same number of failures with the same message, so the lockout does not
  tell which usernames exist.

The counters live in the default cache (shared in production, ``CACHE_URL``). When the cache does not
answer, sign-in is not blocked: the attempt is checked normally and the failure logged
(``login_lockout_cache_unavailable``).
"""

import hashlib
import logging
import unicodedata
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.dispatch import receiver
from django.http import HttpRequest

from core.client_address import client_address
from core.throttling import CACHE_ERRORS

log = logging.getLogger(__name__)


def _folded(username: str) -> str:
    """``username`` without case, accents or surrounding spaces: one budget for all its spellings."""
    decomposed = unicodedata.normalize("NFKD", username)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold().strip()


def _account_subject(username: str | None) -> str:
    """``account:<pk>`` of the account ``username`` signs in to, or ``unknown:<folded name>``."""
    user_model = get_user_model()
    if username:
        try:
            return f"account:{user_model._default_manager.get_by_natural_key(username).pk}"
        except user_model.DoesNotExist:
            pass
    return f"unknown:{_folded(username or '')}"


def _loggable(subject: str) -> str:
    """``subject`` as it may be logged: the account id, or a digest of an unknown name.

    A typed username can be someone's email address (people type it into a username field), so it is
    never logged; the digest lets an operator see that refusals concern one name without reading it.
    """
    if subject.startswith("account:"):
        return subject
    return "unknown:" + hashlib.sha256(subject.encode()).hexdigest()[:16]


def _failures_key(request: HttpRequest | None, subject: str) -> str:
    address = client_address(request) if request is not None else ""
    digest = hashlib.sha256(f"{address}\n{subject}".encode()).hexdigest()
    return f"login-failures:{digest}"


def _log_cache_error(action: str, exc: Exception) -> None:
    log.error("login_lockout_cache_unavailable", extra={"action": action, "error": f"{type(exc).__name__}: {exc}"})


class ThrottledModelBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        subject = _account_subject(username)
        key = _failures_key(request, subject)
        try:
            failures = cache.get(key, 0)
        except CACHE_ERRORS as exc:
            _log_cache_error("read", exc)
            failures = 0
        if failures >= settings.LOGIN_FAILURE_LIMIT:
            log.warning("login_throttled", extra={"account": _loggable(subject)})
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
    key = _failures_key(request, _account_subject(credentials.get("username")))
    try:
        if cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS):
            return
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    except CACHE_ERRORS as exc:
        _log_cache_error("count", exc)


@receiver(user_logged_in)
def _forget_failures(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    try:
        cache.delete(_failures_key(request, f"account:{user.pk}"))
    except CACHE_ERRORS as exc:
        _log_cache_error("reset", exc)
