from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def payment_approval_run(approval_id: int) -> str:
    """Complete the work order of one queued 付款审核 通过 (services.work_order_payment_approve_execute)."""
    from .services import work_order_payment_approve_execute

    return work_order_payment_approve_execute(approval_id=approval_id)
