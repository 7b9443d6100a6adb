import re
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from zghz.core.crypto import blind_index

from .models import SmsMessage
from .services import PURPOSES as CODE_PURPOSES

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise

# 用途 as staff read it: verification codes first, then notices. Apps that queue a new kind of notice add
# its label here; until then the list shows the purpose code itself.
PURPOSE_LABELS: "dict[str, str | StrPromise]" = {
    **CODE_PURPOSES,
    "unit_review": gettext_lazy("单位审核结果"),
    "claim": gettext_lazy("理赔通知"),
    "renewal": gettext_lazy("续保提醒"),
}

_DIGIT_RUN = re.compile(r"\d{4,8}")


def sms_search(*, phone: str = "", purpose: str = "", status: str = "") -> QuerySet[SmsMessage]:
    qs = SmsMessage.objects.all()
    if phone:
        qs = qs.filter(phone_hash=blind_index(phone.strip(), purpose="phone"))
    if purpose:
        qs = qs.filter(purpose=purpose)
    if status:
        qs = qs.filter(status=status)
    return qs


def sms_is_code(msg: SmsMessage) -> bool:
    return msg.purpose in CODE_PURPOSES or msg.idempotency_key.startswith("code:") or "验证码" in msg.text


def sms_display_text(msg: SmsMessage) -> str:
    """The message as staff may read it: a verification code is starred out, so nobody in the back office
    can log in or register as someone else with a code they saw in the list."""
    if not sms_is_code(msg):
        return msg.text
    return _DIGIT_RUN.sub(lambda m: "*" * len(m.group()), msg.text)


def sms_purpose_label(purpose: str) -> str:
    return str(PURPOSE_LABELS.get(purpose, purpose))
