import json
from typing import Any

from django.db import transaction

from zghz.sms.models import SmsMessage
from zghz.sms.services import QueuedSms, sms_queue_many


def test_it_queues_many_at_once_sends_them_after_commit_and_never_twice(outbox: Any) -> None:
    messages = [QueuedSms(phone=f"1390000{n:04d}", purpose="claim", template="rejected", idempotency_key=f"k{n}",
                          params={"kind": "重疾", "number": f"LP{n}", "reason": f"通知{n}"})
                for n in range(3)]
    with transaction.atomic():
        assert sms_queue_many(messages=[*messages, messages[0]]) == 3
        assert not outbox.exists()  # nothing leaves before commit
    sent = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    assert sorted(m["phone"] for m in sent) == ["13900000000", "13900000001", "13900000002"]
    assert "通知1" in next(m["text"] for m in sent if m["phone"] == "13900000001")
    # A template gateway is given the template's code and its parameters.
    one = next(m for m in sent if m["phone"] == "13900000001")
    assert one["template"] == "claim.rejected" and one["params"]["number"] == "LP1"
    assert SmsMessage.objects.get(idempotency_key="k1").template == "claim.rejected"
    assert set(SmsMessage.objects.values_list("status", flat=True)) == {"sent"}
    assert sms_queue_many(messages=messages) == 0
    assert SmsMessage.objects.count() == 3
