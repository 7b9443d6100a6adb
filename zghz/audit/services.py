from typing import Any

from django.db import models

from zghz.core.middleware import current_ip

from .models import AuditEntry


def record(
    *,
    action: str,
    actor: Any = None,
    unit: Any = None,
    obj: models.Model | None = None,
    result: str = "ok",
    ip: str | None = None,
    actor_label: str = "",
    **detail: Any,
) -> AuditEntry:
    """Append an audit row. Call it inside the service's transaction so the row and the change agree.

    `actor_label` names who acted when nobody is logged in (the username or masked phone a failed login
    gave); a logged-in `actor` names itself. A `phone_masked` detail (already masked) is shown as the
    row's object when it has none."""
    actor_kind, actor_id = "", None
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_kind, actor_id, actor_label = actor.kind, actor.pk, actor.audit_label
    return AuditEntry.objects.create(
        actor_kind=actor_kind,
        actor_id=actor_id,
        actor_label=actor_label[:64],
        unit_id=getattr(unit, "pk", None),
        unit_name=getattr(unit, "name", "")[:128] if unit is not None else "",
        ip=(ip if ip is not None else current_ip()) or "",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        result=result,
        detail=detail,
    )
