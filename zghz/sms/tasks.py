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
    or a re-delivered task cannot both send it. Only a failure that certainly kept the message from
    leaving (connection refused) puts it back to queued for a retry; after a timeout it stays `unknown`
    for staff to check, because resending could give the member the same SMS twice.
    """
    claimed = SmsMessage.objects.filter(pk=message_id, status=SmsMessage.Status.QUEUED).update(
        status=SmsMessage.Status.UNKNOWN, attempts=F("attempts") + 1
    )
    if not claimed:
        return "skipped"
    msg = SmsMessage.objects.get(pk=message_id)
    try:
        gateway_id = gateway().send(msg)
    except GatewayUnavailable as e:
        SmsMessage.objects.filter(pk=message_id).update(status=SmsMessage.Status.QUEUED, error=str(e)[:255])
        if self.request.called_directly or self.request.is_eager:
            SmsMessage.objects.filter(pk=message_id).update(status=SmsMessage.Status.FAILED)
            return "failed"
        raise self.retry(exc=e) from e
    except GatewayTimeout as e:
        SmsMessage.objects.filter(pk=message_id).update(error=f"超时：{e}"[:255])
        return "unknown"
    except GatewayRejected as e:
        SmsMessage.objects.filter(pk=message_id).update(status=SmsMessage.Status.FAILED, error=str(e)[:255])
        return "failed"
    SmsMessage.objects.filter(pk=message_id).update(
        status=SmsMessage.Status.SENT, gateway_id=gateway_id[:128], sent_at=timezone.now(), error=""
    )
    return "sent"


def deliver_on_commit(message_id: int) -> None:
    transaction.on_commit(lambda: sms_deliver.delay(message_id))
