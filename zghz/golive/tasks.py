from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def coverage_import_run(import_id: int) -> str:
    """Run one back-office 参保记录导入 (see imports.coverage_import_execute; a re-run is harmless)."""
    from .imports import coverage_import_execute

    return coverage_import_execute(import_id=import_id)
