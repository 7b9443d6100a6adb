from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def export_run(job_id: str) -> str:
    """Write one export job's file (see services.export_execute; a second delivery is a no-op)."""
    from .services import export_execute

    return export_execute(job_id=job_id)


@shared_task(ignore_result=True)
def exports_cleanup() -> dict[str, int]:
    """Daily: drop export files older than 7 days (also `manage.py cleanup_exports`)."""
    from .services import export_cleanup

    return export_cleanup()


@shared_task(ignore_result=True)
def exports_sweep() -> dict[str, int]:
    """Every minute: exports whose task never reached a worker, or whose worker died (services.exports_sweep)."""
    from .services import exports_sweep as sweep

    return sweep()
