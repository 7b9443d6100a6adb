from django.db.models import QuerySet

from zghz.core.crypto import blind_index

from .models import SmsMessage


def sms_search(*, phone: str = "", purpose: str = "", status: str = "") -> QuerySet[SmsMessage]:
    qs = SmsMessage.objects.all()
    if phone:
        qs = qs.filter(phone_hash=blind_index(phone.strip(), purpose="phone"))
    if purpose:
        qs = qs.filter(purpose=purpose)
    if status:
        qs = qs.filter(status=status)
    return qs
