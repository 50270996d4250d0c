"""Small presentation filters of the support console."""

from django import template

from credentials_status import program_status

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
    return program_status.either(values)
