from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from .models import AuditEntry
from .registry import action_label


def audit_search(
    *,
    person: str = "",
    unit: str = "",
    action: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.all()
    if person:
        qs = qs.filter(actor_label__icontains=person)
    if unit:
        qs = qs.filter(unit_name__icontains=unit)
    if action:
        qs = qs.filter(action=action)
    tz = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(at__gte=datetime.combine(date_from, time.min, tzinfo=tz))
    if date_to:
        qs = qs.filter(at__lt=datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz))
    return qs


RESULT_LABELS = {"ok": gettext_lazy("成功"), "failed": gettext_lazy("失败"), "locked": gettext_lazy("已锁定"), "refused": gettext_lazy("已拒绝"),
                 "throttled": gettext_lazy("已限制")}


def audit_action_label(action: str) -> str:
    return action_label(action)


def audit_result_label(result: str) -> str:
    return str(RESULT_LABELS.get(result, result))


def audit_object_label(entry: AuditEntry) -> str:
    """'参保单位 #12' rather than 'units.unit 12'; no query, the model registry knows the names."""
    if not entry.object_type:
        return ""
    try:
        model = apps.get_model(entry.object_type)
    except (LookupError, ValueError):
        return f"{entry.object_type} #{entry.object_id}"
    return f"{model._meta.verbose_name} #{entry.object_id}"
