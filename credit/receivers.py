"""Signal receivers: ingested grades drive ``grade`` requirements (connected in ``CreditConfig.ready``)."""

from decimal import Decimal
from typing import Any

from credit.services import grade_requirement_update


def satisfy_grade_requirement(
    sender: Any, *, username: str, course_run_key: str, percent_grade: Decimal, **kwargs: Any
) -> None:
    """A recorded grade satisfies the run's ``grade`` requirement when it reaches ``criteria.min_grade``."""
    grade_requirement_update(username=username, course_run_key=course_run_key, percent_grade=percent_grade)
