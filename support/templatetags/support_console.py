"""Small presentation filters of the support console."""

from django import template

from credentials_status import explanations
from credentials_status.data import ProgramWarning

register = template.Library()


@register.filter
def label(value: object) -> str:
    """``pending_availability`` -> ``Pending availability``: a status code as words."""
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]


@register.filter
def percent(part: int, whole: int) -> int:
    """``part`` as a whole percentage of ``whole`` (0 when ``whole`` is 0)."""
    return round(100 * part / whole) if whole else 0


@register.filter
def either(values: list[str]) -> str:
    """``["verified", "professional", "masters"]`` -> ``verified, professional or masters``."""
    return explanations.either(values)


@register.filter
def warning_title(warning: ProgramWarning) -> str:
    """The warning's short label: "Completion does not count", "Run removed", "Program retired"."""
    return explanations.warning_title_for_support(warning)
