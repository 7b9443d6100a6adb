from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def settlement_import_run(import_id: int) -> str:
    """Run one queued back-office settlement import (settlement_imports.settlement_import_execute; re-running it
    is harmless)."""
    from .settlement_imports import settlement_import_execute

    return settlement_import_execute(import_id=import_id)
