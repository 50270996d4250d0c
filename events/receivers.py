"""Receivers of the openedx-events signals the consumer emits (connected in ``EventsConfig.ready``)."""

from typing import Any

from openedx_events.content_authoring.signals import COURSE_CATALOG_INFO_CHANGED
from openedx_events.learning.signals import (
    CERTIFICATE_CHANGED,
    CERTIFICATE_CREATED,
    CERTIFICATE_REVOKED,
    COURSE_ENROLLMENT_CHANGED,
    COURSE_ENROLLMENT_CREATED,
    PERSISTENT_GRADE_SUMMARY_CHANGED,
)

from events.facts import EventRef
from events.services import (
    catalog_event_apply,
    certificate_event_apply,
    enrollment_event_apply,
    grade_event_apply,
)

CERTIFICATE_SIGNALS = (CERTIFICATE_CREATED, CERTIFICATE_CHANGED, CERTIFICATE_REVOKED)
ENROLLMENT_SIGNALS = (COURSE_ENROLLMENT_CREATED, COURSE_ENROLLMENT_CHANGED)
# Every event type the consumer applies (the admin filters applied events by these).
EVENT_TYPES: tuple[str, ...] = tuple(
    signal.event_type
    for signal in (
        *CERTIFICATE_SIGNALS,
        *ENROLLMENT_SIGNALS,
        PERSISTENT_GRADE_SUMMARY_CHANGED,
        COURSE_CATALOG_INFO_CHANGED,
    )
)


def on_certificate_event(sender: Any, metadata: Any, certificate: Any, **kwargs: Any) -> None:
    certificate_event_apply(event=EventRef.from_metadata(metadata), certificate=certificate)


def on_enrollment_event(sender: Any, metadata: Any, enrollment: Any, **kwargs: Any) -> None:
    enrollment_event_apply(event=EventRef.from_metadata(metadata), enrollment=enrollment)


def on_grade_event(sender: Any, metadata: Any, grade: Any, **kwargs: Any) -> None:
    grade_event_apply(event=EventRef.from_metadata(metadata), grade=grade)


def on_catalog_event(sender: Any, metadata: Any, catalog_info: Any, **kwargs: Any) -> None:
    catalog_event_apply(event=EventRef.from_metadata(metadata), catalog_info=catalog_info)


def connect_receivers() -> None:
    for signal in CERTIFICATE_SIGNALS:
        signal.connect(on_certificate_event, dispatch_uid=f"events.certificate.{signal.event_type}")
    for signal in ENROLLMENT_SIGNALS:
        signal.connect(on_enrollment_event, dispatch_uid=f"events.enrollment.{signal.event_type}")
    PERSISTENT_GRADE_SUMMARY_CHANGED.connect(on_grade_event, dispatch_uid="events.grade")
    COURSE_CATALOG_INFO_CHANGED.connect(on_catalog_event, dispatch_uid="events.catalog_info")
