"""Celery tasks of the credit app: take ids, call one service."""

from celery import shared_task

from credit.services import credit_eligibility_email_send


@shared_task(name="credit.eligibility_email_send")
def credit_eligibility_email_send_task(eligibility_id: int) -> bool:
    """Mail a learner their new credit eligibility. The service logs failures; nothing is retried."""
    return credit_eligibility_email_send(eligibility_id=eligibility_id)
