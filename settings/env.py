"""Read configuration from the environment, collecting every problem before failing once.

Every setting the service reads from the environment goes through these readers. A reader that
meets a bad value (missing when required, wrong type, out of range, wrong JSON shape, a throttle
rate DRF cannot parse, a JWK set that does not parse) records the problem and returns the default,
so settings keep loading; the settings module that Django loads (``local``, ``test``,
``production``) ends with ``raise_problems()``, which raises one ``ImproperlyConfigured`` naming
every bad variable. Messages never repeat the value of a variable that may hold a secret.

django-environ parses database URLs and lists. Its variable lookup is not used: it reads a
value starting with ``$`` as the name of another variable (Django's generated secret keys may
start with ``$``), and its number casts keep only the digits (``5s`` reads as 5.0), so the readers
here take the raw string from the process environment and validate it strictly.
"""

import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import environ
from django.core.exceptions import ImproperlyConfigured


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Final[Any] = _Required()
_TRUE = {"1", "true", "yes", "on", "y"}
_FALSE = {"0", "false", "no", "off", "n", ""}
# What DRF's SimpleRateThrottle.parse_rate accepts: an integer, a slash, a period whose first letter
# is s, m, h or d (``60/minute``, ``10/s``, ``1000/day``).
# The databases the service runs on (MySQL and MariaDB through PyMySQL).
_DB_SCHEMES = {"sqlite", "postgres", "postgresql", "psql", "pgsql", "mysql"}
_RATE = re.compile(r"^(?P<count>[0-9]+)/(?P<period>[smhd][a-z]*)$")

# variable name -> what is wrong with it, in the order found.
_problems: dict[str, str] = {}


def problem(name: str, message: str) -> None:
    """Record that variable ``name`` is unusable; ``raise_problems`` reports it with the others."""
    _problems.setdefault(name, message)


def problems() -> dict[str, str]:
    """The problems recorded so far (variable name -> message)."""
    return dict(_problems)


def raise_problems() -> None:
    """Raise one ``ImproperlyConfigured`` listing every recorded problem; do nothing when there is none."""
    if not _problems:
        return
    lines = "\n".join(f"  {name}: {message}" for name, message in _problems.items())
    raise ImproperlyConfigured(
        f"{len(_problems)} environment variable(s) are missing or invalid "
        f"({', '.join(_problems)}); see docs/configuration.rst:\n{lines}"
    )


def _raw(name: str) -> str | None:
    return os.environ.get(name)


def env_str(name: str, default: Any = REQUIRED) -> Any:
    """The variable as a string; ``default`` when unset. Without a default, unset or empty is a problem."""
    value = _raw(name)
    if default is REQUIRED:
        if value is None or not value.strip():
            problem(name, "required and not set")
            return ""
        return value
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    """``1/true/yes/on/y`` or ``0/false/no/off/n`` (any case; empty reads as false); ``default`` when unset."""
    value = _raw(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE or lowered in _FALSE:
        return lowered in _TRUE
    problem(name, f"must be a boolean (true/false, 1/0, yes/no, on/off), not {value!r}")
    return default


def _number(
    name: str,
    default: Any,
    cast: Callable[[str], Any],
    kind: str,
    min_value: float | None,
    max_value: float | None,
) -> Any:
    value = _raw(name)
    if value is None or not value.strip():
        return default
    try:
        number = cast(value.strip())
    except ValueError:
        problem(name, f"must be {kind}, not {value!r}")
        return default
    if isinstance(number, float) and not math.isfinite(number):
        problem(name, f"must be a finite number, not {value!r}")
        return default
    if (min_value is not None and number < min_value) or (max_value is not None and number > max_value):
        bounds = " and ".join(
            part
            for part in (
                f"at least {min_value:g}" if min_value is not None else "",
                f"at most {max_value:g}" if max_value is not None else "",
            )
            if part
        )
        problem(name, f"must be {bounds}, not {value!r}")
        return default
    return number


def env_int(name: str, default: int, *, min_value: int | None = None, max_value: int | None = None) -> int:
    """An integer (``default`` when unset or empty), optionally bounded (inclusive)."""
    return _number(name, default, int, "an integer", min_value, max_value)


def env_float(name: str, default: float, *, min_value: float | None = None, max_value: float | None = None) -> float:
    """A plain decimal number (``5``, ``2.5``; not ``5s``), optionally bounded (inclusive)."""
    return float(_number(name, default, float, "a number", min_value, max_value))


def env_positive_seconds(name: str, default: float) -> float:
    """A duration in seconds, greater than zero (a plain number: ``5`` or ``0.5``, not ``5s``)."""
    value = env_float(name, default, min_value=0)
    if value == 0:
        problem(name, "must be a number of seconds greater than 0, not '0'")
        return default
    return value


def env_fraction(name: str, default: float) -> float:
    """A share between 0 and 1 inclusive (``0.1`` is ten per cent)."""
    return env_float(name, default, min_value=0, max_value=1)


def env_list(name: str, default: list[str] | None = None, *, required: bool = False) -> list[str]:
    """A comma-separated variable as a list of stripped, non-empty strings; ``required`` refuses an empty list."""
    value = _raw(name)
    if value is None:
        items = list(default or [])
    else:
        items = [item.strip() for item in environ.Env.parse_value(value, list) if item.strip()]
    if required and not items:
        problem(name, "required and not set (a comma-separated list)")
    return items


@dataclass(frozen=True)
class JsonShape:
    """What a JSON variable must hold: ``check`` says whether a parsed value fits ``description``."""

    description: str
    check: Callable[[Any], bool]


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


SECRETS_BY_ID = JsonShape(
    'an object mapping each id to a secret or a list of secrets, e.g. {"provider": "secret"} '
    'or {"provider": ["new", "old"]}',
    lambda value: (
        isinstance(value, dict)
        and all(
            _is_text(key)
            and (_is_text(secret) or (isinstance(secret, list) and secret and all(_is_text(s) for s in secret)))
            for key, secret in value.items()
        )
    ),
)


def env_json(name: str, default: Any, *, shape: JsonShape | None = None) -> Any:
    """Parsed JSON (``default`` when unset or empty); with ``shape``, a value of another shape is a problem."""
    value = _raw(name)
    if value is None or not value.strip():
        return default
    try:
        parsed = json.loads(value)
    except ValueError as exc:
        # The message says where the JSON breaks, never what it holds (it may carry secrets).
        position = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        problem(name, f"must hold valid JSON{position}")
        return default
    if shape is not None and not shape.check(parsed):
        problem(name, f"must hold {shape.description}")
        return default
    return parsed


def env_rate(name: str, default: str) -> str:
    """A DRF throttle rate, ``<count>/<period>`` with a period of second, minute, hour or day (``60/minute``)."""
    value = _raw(name)
    if value is None:
        return default
    if not _RATE.match(value.strip()):
        problem(name, f"must be a throttle rate such as 60/minute (count/second, minute, hour or day), not {value!r}")
        return default
    return value.strip()


def env_jwk_set(name: str, default: str | None = None) -> str | None:
    """A JSON JWK set (``{"keys": [...]}``) that PyJWT can load, as the string edx-drf-extensions expects."""
    value = _raw(name)
    if value is None or not value.strip():
        return default
    from jwt import PyJWKSet
    from jwt.exceptions import PyJWKError, PyJWKSetError

    try:
        PyJWKSet.from_json(value)
    except (PyJWKSetError, PyJWKError, ValueError, TypeError, KeyError) as exc:
        problem(name, f"must be a JSON JWK set of public signing keys ({exc.__class__.__name__}: {_short(exc)})")
        return default
    return value


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else "unreadable"
    return text[:120]


def env_database_url(name: str, default: str, *, conn_max_age: int = 0) -> dict[str, Any]:
    """A Django ``DATABASES`` entry from a URL (``sqlite:///path``, ``postgres://...``, ``mysql://...``)."""
    value = _raw(name)
    url = default if value is None or not value.strip() else value.strip()
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in _DB_SCHEMES:
        # The URL itself is not repeated: it may carry a password.
        problem(name, "must be a sqlite:///path, postgres://user:password@host:5432/name or mysql://... URL")
        url = default
    config = dict(environ.Env.db_url_config(url))
    config["CONN_MAX_AGE"] = conn_max_age
    return config
