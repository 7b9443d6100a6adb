from celery import shared_task


@shared_task(ignore_result=True)
def jobs_sweep() -> dict[str, int]:
    """Every minute: background jobs still queued whose task never reached a worker or lost it (core.jobs)."""
    from .jobs import jobs_sweep as sweep

    return sweep()
