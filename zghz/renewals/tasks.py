from celery import shared_task

from .services import renewal_reminders_send


@shared_task(ignore_result=True)
def renewal_reminders() -> int:
    """Beat: 12:00 on the 1st, and again at 12:00 every other day so a schedule that fired late or not at
    all is caught up; a run after the month's reminders went out sends nothing."""
    return renewal_reminders_send().sent
