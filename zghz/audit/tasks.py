from celery import shared_task
from django.core.management import call_command


@shared_task(ignore_result=True)
def audit_prune() -> None:
    """Daily: drop audit rows past the retention (kept at least 6 months; see prune_audit)."""
    call_command("prune_audit")
