from celery import shared_task

from .services import figures_refresh


@shared_task(ignore_result=True)
def figures_refresh_task(refresh_id: int | None = None) -> None:
    """Beat (02:30) with no id: a nightly rebuild. With the id of a queued request: that request, once."""
    figures_refresh(refresh_id=refresh_id)
