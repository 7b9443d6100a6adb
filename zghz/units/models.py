from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from zghz.core.fields import EncryptedTextField
from zghz.core.workflow import TimelineEvent

if TYPE_CHECKING:
    from zghz.accounts.models import User


class District(models.Model):
    """所属区局: the districts (and industrial unions) units belong to; edited by 管理员."""

    name = models.CharField(_("区局名称"), max_length=32, unique=True)
    sort_order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("所属区局")

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A base-level union or employer (参保单位) and its handler-maintained profile."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("未提交")
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("已驳回")
        # Brought in by the go-live import of 参保记录 (SPEC §5.1): no handler, nobody logs in to it, never
        # in a review queue. A registration of its credit code turns it into 未提交 with that handler.
        HISTORICAL = "historical", _("历史单位")

    class CertificateKind(models.TextChoices):
        UNION = "union", _("工会法人证书")
        LICENCE = "licence", _("营业执照")

    credit_code = models.CharField(_("单位社会统一信用代码"), max_length=18, unique=True)
    name = models.CharField(_("单位全称"), max_length=128, db_index=True)
    # None only for a 历史单位 (Status.HISTORICAL) that nobody has registered yet (a check constraint
    # holds it). Typed as always set: every flow that acts for a handler starts from a registered unit;
    # the few lists that can show a 历史单位 (back-office 单位管理) check for None.
    handler: models.ForeignKey[User, User] = models.ForeignKey(  # type: ignore[misc]
        "accounts.User", verbose_name=_("经办人账户"), on_delete=models.PROTECT, related_name="units", null=True,
        blank=True)
    status = models.CharField(_("审核状态"), max_length=16, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    district = models.ForeignKey(District, verbose_name=_("所属区局"), null=True, blank=True,
                                 on_delete=models.PROTECT)
    medical_code = models.CharField(_("医保代码"), max_length=8, blank=True)
    handler_name = models.CharField(_("经办人姓名"), max_length=32, blank=True)
    handler_id_number = EncryptedTextField(_("经办人身份证号"), blank=True)
    handler_id_hash = models.CharField(max_length=64, blank=True)
    certificate_kind = models.CharField(_("证书类型"), max_length=16, choices=CertificateKind.choices, blank=True)
    certificate = models.ForeignKey("files.StoredFile", verbose_name=_("工会法人证书/营业执照"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    pledge_opened_at = models.DateTimeField(null=True, blank=True)
    pledge_confirmed_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(_("驳回原因"), max_length=255, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("注册时间"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("参保单位")
        # The 参保单位 list's order (submitted_at DESC NULLS LAST, id DESC) has its indexes on PostgreSQL
        # only (migration 0005): SQLite cannot put NULLS LAST in an index.
        indexes = [models.Index(fields=["status", "submitted_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(handler__isnull=False) | models.Q(status="historical"),
                                   name="unit_handler_unless_historical"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED

    @property
    def profile_editable(self) -> bool:
        return self.status in {self.Status.DRAFT, self.Status.REJECTED}


class UnitReviewEvent(TimelineEvent):
    """审核进度 as the unit sees it: each submission and each decision."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="review_events")
    status = models.CharField(_("状态"), max_length=16, choices=Unit.Status.choices)

    class Meta(TimelineEvent.Meta):
        pass
