"""The two pieces every reviewed object shares (参保申请, 单位信息, and next 理赔): a status step that only
one request can take, and a timeline of who did what.

A step is `lock` (re-read the row under a row lock and check its status) and/or `transition` (a conditional
UPDATE on the current status). The loser of a race — a double click, or a colleague who was quicker —
gets `AlreadyProcessed` (HTTP 409, "该记录已被处理…") and never a double effect. Call both inside the
caller's `transaction.atomic()` together with the event row and the audit row.

    with transaction.atomic():
        wo = lock(WorkOrder.objects.select_related("unit"), work_order.pk, from_status=S.PENDING)
        transition(wo, from_status=S.PENDING, to_status=S.AWAITING_PAYMENT, reviewed_at=timezone.now())
        WorkOrderEvent.log(work_order=wo, actor=actor, action="approve", status=wo.status,
                           decision=TimelineEvent.Decision.APPROVE)

`TimelineEvent` is abstract: each app declares its concrete event model with a foreign key to its subject
(and may narrow `status` to its own choices, or add fields such as a claim's review `node`). This is not a
workflow engine: which steps exist, and who may take them, stays in each app's services.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Protocol, Self, TypeVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .errors import AlreadyProcessed

M = TypeVar("M", bound=models.Model)


def _statuses(from_status: str | Collection[str]) -> list[str]:
    return [from_status] if isinstance(from_status, str) else list(from_status)


def lock(queryset_or_model: models.QuerySet[M] | type[M], pk: Any, *, from_status: str | Collection[str],
         message: str | None = None, status_field: str = "status") -> M:
    """Re-read row `pk` under a row lock (SELECT … FOR UPDATE OF the row itself, so select_related tables
    stay unlocked) and return it; `AlreadyProcessed(message)` when its status is not one of `from_status`.
    Must run inside a transaction. Pass a queryset to add select_related."""
    qs = queryset_or_model if isinstance(queryset_or_model, models.QuerySet) else queryset_or_model._default_manager.all()
    obj = qs.select_for_update(of=("self",)).get(pk=pk)
    if getattr(obj, status_field) not in _statuses(from_status):
        raise AlreadyProcessed(message)
    return obj


def transition(obj: M, *, from_status: str | Collection[str], to_status: str, message: str | None = None,
               status_field: str = "status", **fields: Any) -> None:
    """Move `obj` from one of `from_status` to `to_status` (setting `fields` too) with one conditional UPDATE;
    `AlreadyProcessed(message)` when no row was in `from_status` any more (nothing is written then).

    On success the in-memory `obj` carries the new status and the plain `fields` values (F() and other
    expressions are written but not read back)."""
    moved = type(obj)._default_manager.filter(
        pk=obj.pk, **{f"{status_field}__in": _statuses(from_status)}
    ).update(**{status_field: to_status}, **fields)
    if not moved:
        raise AlreadyProcessed(message)
    setattr(obj, status_field, to_status)
    for name, value in fields.items():
        if not hasattr(value, "resolve_expression"):
            setattr(obj, name, value)


class Actor(Protocol):
    """Who acted: an accounts.User (kept as a protocol so core imports no app)."""

    pk: Any

    @property
    def audit_label(self) -> str: ...


class TimelineEvent(models.Model):
    """One entry of an object's history as both sides see it (办理进度, 审核进度, a claim's review nodes).

    - `action`: what happened, a short code of the app ("submit", "approve", "pay", …; for a review
      sequence, the step taken at `node`).
    - `status`: the subject's status after the step ("" when the status did not change).
    - `decision`: 通过 / 驳回 for a decision step, "" otherwise.
    - `comment`: the reason or remark shown with the entry (驳回原因, 审核意见).
    - `detail`: small structured facts of the step (amounts, counts); never personal data.
    - `actor` / `actor_label`: the account, and its label at the time (kept when the account changes or goes).
    """

    class Decision(models.TextChoices):
        APPROVE = "approve", _("通过")
        REJECT = "reject", _("驳回")

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("操作人账号"))
    actor_label = models.CharField(_("操作人"), max_length=64, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    action = models.CharField(_("操作"), max_length=32)
    status = models.CharField(_("状态"), max_length=20, blank=True)
    decision = models.CharField(_("审核结果"), max_length=16, choices=Decision.choices, blank=True)
    comment = models.CharField(_("意见"), max_length=255, blank=True)
    detail: Any = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    @property
    def is_rejection(self) -> bool:
        return self.decision == self.Decision.REJECT

    @classmethod
    def log(cls, *, actor: Actor | None, action: str, status: str = "", decision: str = "", comment: str = "",
            detail: dict[str, Any] | None = None, **subject: Any) -> Self:
        """Append one entry; `subject` is the concrete model's foreign key (e.g. `work_order=wo`)."""
        return cls._default_manager.create(
            actor=actor if actor is not None and actor.pk is not None else None,
            actor_label=(actor.audit_label if actor is not None else "")[:64],
            action=action, status=status, decision=decision, comment=(comment or "")[:255],
            detail=detail or {}, **subject,
        )
