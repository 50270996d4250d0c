"""Signal receivers: recorded grades drive ``grade`` requirements (connected in ``CreditConfig.ready``)."""

from collections.abc import Sequence
from typing import Any

from credit.services import grade_requirements_update


def satisfy_grade_requirements(sender: Any, *, grades: Sequence[Any], **kwargs: Any) -> None:
    """Recorded grades (``credentials_status.data.RecordedGrade``) satisfy their run's ``grade`` requirements
    when they reach ``criteria.min_grade``."""
    grade_requirements_update(grades=[(grade.username, grade.course_run_key, grade.percent_grade) for grade in grades])
