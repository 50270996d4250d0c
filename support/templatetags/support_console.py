"""Small presentation filters of the support console."""

from django import template
from django.utils.translation import gettext_lazy

from credentials_status import explanations
from credentials_status.data import ProgramWarning

register = template.Library()


_LABELS = {
    "awarded": gettext_lazy("Awarded"),
    "pending_availability": gettext_lazy("Pending availability"),
    "revoked": gettext_lazy("Revoked"),
    "enrolled": gettext_lazy("Enrolled"),
    "not_enrolled": gettext_lazy("Not enrolled"),
    "completed": gettext_lazy("Completed"),
    "in_progress": gettext_lazy("In progress"),
    "not_started": gettext_lazy("Not started"),
}


@register.filter
def label(value: object) -> str:
    """``pending_availability`` -> ``Pending availability``: a status code as words (translated)."""
    known = _LABELS.get(str(value))
    if known is not None:
        return str(known)
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
