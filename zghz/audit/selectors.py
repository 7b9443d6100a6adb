from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import AuditEntry
from .registry import action_label, object_names


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


def audit_object_labels(entries: Iterable[AuditEntry]) -> dict[int, str]:
    """{entry id: '参保申请 CB20260301000001'}: the model's name and what its app calls the object (one query
    per model on the page, see `register_object_names`); '#id' for an object that is gone or unnamed.
    A row without an object shows the masked phone it concerns (verification codes)."""
    entries = list(entries)
    ids: dict[str, set[str]] = defaultdict(set)
    for e in entries:
        if e.object_type:
            ids[e.object_type].add(e.object_id)
    names = {kind: object_names(kind, kind_ids) for kind, kind_ids in ids.items()}
    labels: dict[int, str] = {}
    for e in entries:
        if e.object_type:
            try:
                kind = str(apps.get_model(e.object_type)._meta.verbose_name)
            except (LookupError, ValueError):
                kind = e.object_type
            name = names[e.object_type].get(e.object_id)
            labels[e.pk] = f"{kind} {name}" if name else f"{kind} #{e.object_id}"
        elif isinstance(e.detail, dict) and e.detail.get("phone_masked"):
            labels[e.pk] = _("手机号 {phone}").format(phone=e.detail["phone_masked"])
        else:
            labels[e.pk] = ""
    return labels
