import re

from django.db.models import QuerySet

from zghz.core.crypto import blind_index

from .models import SmsMessage
from .registry import is_verification, purpose_label, purposes


def sms_purpose_choices() -> list[tuple[str, str]]:
    """用途 as staff read it, for 短信记录's filter: verification codes first, then notices (each app
    registers its own in its registry.py)."""
    return [(p.code, str(p.label)) for p in purposes()]


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
    return is_verification(msg.purpose) or msg.idempotency_key.startswith("code:") or "验证码" in msg.text


def sms_display_text(msg: SmsMessage) -> str:
    """The message as staff may read it: a verification code is starred out, so nobody in the back office
    can log in or register as someone else with a code they saw in the list."""
    if not sms_is_code(msg):
        return msg.text
    return _DIGIT_RUN.sub(lambda m: "*" * len(m.group()), msg.text)


def sms_purpose_label(purpose: str) -> str:
    return purpose_label(purpose)
