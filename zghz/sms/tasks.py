from celery import shared_task
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .gateways import GatewayRejected, GatewayTimeout, GatewayUnavailable, gateway
from .models import SmsMessage


@shared_task(bind=True, max_retries=5, default_retry_delay=30)
def sms_deliver(self, message_id: int) -> str:  # type: ignore[no-untyped-def]
    """Hand one queued message to the gateway, exactly once.

    The row is claimed with a conditional update (queued -> unknown) before the request, so two workers
    or a re-delivered task cannot both send it. Outcomes:

    - accepted: `sent`, with the gateway's message id;
    - timeout or a 5xx (the request may have gone through): stays `unknown` for staff to check, and is
      never sent again, because resending could give the member the same SMS twice;
    - refused by the gateway (4xx): `failed`, with the gateway's answer in `error`;
    - connection refused (the message certainly did not leave): back to `queued` and retried by the
      worker; when tasks run inline (no broker) there is no retry and it becomes `failed`.

    Once a message has reached a final state its encrypted `body` (a verification code) is erased.
    """
    claimed = SmsMessage.objects.filter(pk=message_id, status=SmsMessage.Status.QUEUED).update(
        status=SmsMessage.Status.UNKNOWN, attempts=F("attempts") + 1
    )
    if not claimed:
        return "skipped"
    msg = SmsMessage.objects.get(pk=message_id)
    row = SmsMessage.objects.filter(pk=message_id)
    try:
        gateway_id = gateway().send(msg)
    except GatewayUnavailable as e:
        if self.request.called_directly or self.request.is_eager:
            row.update(status=SmsMessage.Status.FAILED, error=str(e)[:255], body="", params="")
            return "failed"
        row.update(status=SmsMessage.Status.QUEUED, error=str(e)[:255])
        raise self.retry(exc=e) from e
    except GatewayTimeout as e:
        row.update(error=f"超时：{e}"[:255], body="", params="")
        return "unknown"
    except GatewayRejected as e:
        row.update(status=SmsMessage.Status.FAILED, error=str(e)[:255], body="", params="")
        return "failed"
    row.update(status=SmsMessage.Status.SENT, gateway_id=gateway_id[:128], sent_at=timezone.now(), error="",
               body="", params="")
    return "sent"


def deliver_on_commit(message_id: int) -> None:
    # robust: a broker that is down must not turn the user's committed action into an error page; the
    # message then stays `queued` where staff can see it.
    transaction.on_commit(lambda: sms_deliver.delay(message_id), robust=True)


@shared_task(ignore_result=True)
def sms_deliver_many(message_ids: list[int]) -> int:
    """Hand a batch queued in one transaction (a settlement import's notices) to one sms_deliver task
    each. Runs on the worker, so the transaction that queued them pays one broker call, not one each."""
    for pk in message_ids:
        sms_deliver.delay(pk)
    return len(message_ids)


def deliver_many_on_commit(message_ids: list[int]) -> None:
    if message_ids:
        ids = list(message_ids)
        transaction.on_commit(lambda: sms_deliver_many.delay(ids), robust=True)


@shared_task(ignore_result=True)
def sms_sweep() -> int:
    """Every minute: hand again to the worker messages still `queued` (the broker was down at commit
    time, or the retries ran out). Safe to repeat: sms_deliver claims a row before sending it."""
    from datetime import timedelta

    from django.conf import settings

    now = timezone.now()
    stale = SmsMessage.objects.filter(status=SmsMessage.Status.QUEUED,
                                      created_at__lt=now - timedelta(seconds=settings.TASK_REDISPATCH_SECONDS),
                                      created_at__gt=now - timedelta(days=1)).values_list("pk", flat=True)
    ids = list(stale[:1000])
    for pk in ids:
        sms_deliver.delay(pk)
    return len(ids)
