from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def payout_batch_run(job_id: int) -> str:
    """Make the batch of one queued 生成批次 (see services.payout_batch_job_execute; a re-run is harmless)."""
    from .services import payout_batch_job_execute

    return payout_batch_job_execute(job_id=job_id)


@shared_task(acks_late=True, ignore_result=True)
def payout_return_run(return_id: int) -> str:
    """Apply one queued 回盘 (see services.payout_return_execute; a re-run is harmless)."""
    from .services import payout_return_execute

    return payout_return_execute(return_id=return_id)
