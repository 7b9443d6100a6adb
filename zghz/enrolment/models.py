from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zghz.core.fields import EncryptedTextField
from zghz.core.workflow import TimelineEvent


class WorkOrder(models.Model):
    """参保申请 (work order): 暂存 → 待审核 → 待付款 → 付款待审核 → 已完成; 已驳回 goes back with a reason."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("暂存")
        PENDING = "pending", _("待审核")
        AWAITING_PAYMENT = "awaiting_payment", _("待付款")
        PAYMENT_REVIEW = "payment_review", _("付款待审核")
        COMPLETED = "completed", _("已完成")

    number = models.CharField(_("工单编号"), max_length=20, unique=True)
    unit = models.ForeignKey("units.Unit", verbose_name=_("参保单位"), on_delete=models.PROTECT,
                             related_name="work_orders")
    plan_year = models.ForeignKey("plans.PlanYear", verbose_name=_("参保项目"), on_delete=models.PROTECT)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    # Set when the last decision was a rejection (review → 暂存, payment → 待付款); shown to the unit.
    reject_reason = models.CharField(_("驳回原因"), max_length=255, blank=True)
    amount_due = models.DecimalField(_("应付款参保金额"), max_digits=12, decimal_places=2, null=True, blank=True)
    paid_amount = models.DecimalField(_("实付款参保金额"), max_digits=12, decimal_places=2, null=True, blank=True)
    payment_voucher = models.ForeignKey("files.StoredFile", verbose_name=_("付款凭证"), null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    stamped_roster = models.ForeignKey("files.StoredFile", verbose_name=_("盖章参保花名册"), null=True,
                                       blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    paid_at = models.DateTimeField(_("付款时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # Kept by the services in the same transaction as the lines they count, so list pages show 人数
    # without counting up to 50,000 lines per order.
    eligible_count = models.PositiveIntegerField(_("人数"), default=0)
    ineligible_count = models.PositiveIntegerField(_("不可参保人数"), default=0)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("参保申请")
        indexes = [models.Index(fields=["unit", "status"]), models.Index(fields=["status", "submitted_at"])]

    def __str__(self) -> str:
        return self.number


class RosterUpload(models.Model):
    """One 上传花名册 into a work order: the lines it wrote carry it, so their 行号 read as "row 5 of
    this file" and rows of two files never look alike."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="uploads")
    file_name = models.CharField(_("文件名"), max_length=200)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    uploaded_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    rows_read = models.PositiveIntegerField(_("读取人数"), default=0)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.file_name


class WorkOrderLine(models.Model):
    """One person on a work order: 参保人员 (eligible) or 不可参保人员 with reason codes.

    `plan` is denormalised from the work order so the database can promise that one person has at most
    one open eligible line per plan, whichever unit uploads them (two units racing cannot both win).
    """

    # No index of its own on work_order or id_hash: every look-up by them is served by line_source_order
    # (the order's lines) or line_one_open_per_person_and_plan (a person's open line of a plan), and a
    # 50,000-row upload maintains two indexes fewer.
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="lines", db_index=False)
    plan = models.ForeignKey("plans.Plan", on_delete=models.PROTECT, related_name="+")
    row_number = models.PositiveIntegerField(_("行号"), null=True, blank=True)
    # The upload the line came from (its 行号 is a row of that file); none for 添加人员 (单个添加).
    upload = models.ForeignKey(RosterUpload, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(_("姓名"), max_length=64, blank=True)
    id_number = EncryptedTextField(_("居民身份证号"), blank=True)
    id_hash = models.CharField(max_length=64, blank=True)
    bank_card = EncryptedTextField(_("社保卡银行卡号"), blank=True)
    bank_name = models.CharField(_("开户行"), max_length=64, blank=True)
    phone = EncryptedTextField(_("手机号"), blank=True)
    remark = models.CharField(_("备注"), max_length=255, blank=True)
    # Keyed hash of the normalised row (name, ID, card, bank, phone, remark): uploading the same file
    # again recognises rows that are already here without decrypting anything.
    fingerprint = models.CharField(max_length=64, blank=True)
    eligible = models.BooleanField(_("可参保"), default=True)
    reasons: Any = models.JSONField(_("不可参保原因"), default=list, blank=True)
    # Open until the work order completes; an open eligible line reserves the person for this plan.
    is_open = models.BooleanField(default=True)
    # A continuous renewal starts the day after the previous coverage ends (no gap, no waiting period).
    renews = models.ForeignKey("coverage.Coverage", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    person = models.ForeignKey("members.Person", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "id_hash"], condition=Q(is_open=True, eligible=True),
                                    name="line_one_open_per_person_and_plan"),
        ]
        # The 参保人员 list of an order is read in source order (upload, 行号); 单个添加 come last.
        indexes = [models.Index(fields=["work_order", "eligible", "upload", "row_number", "id"],
                                name="line_source_order")]


class WorkOrderEvent(TimelineEvent):
    """办理进度 of a work order as both sides see it: who moved it, when, and why."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(_("状态"), max_length=20, choices=WorkOrder.Status.choices)

    class Meta(TimelineEvent.Meta):
        pass


class WorkOrderSequence(models.Model):
    """Per-day counter for readable work order numbers (CB + date + 6 digits), incremented under a row lock."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)


class PaymentApproval(models.Model):
    """财务付款审核 通过 of one work order, run in the background (zghz.core.jobs): the coverage of tens of
    thousands of people is written by a task, in one transaction with this row, while the page shows
    its progress. At most one is queued per work order."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("生成参保记录中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("处理失败")

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="payment_approvals")
    actor = models.ForeignKey("accounts.User", verbose_name=_("审核人"), on_delete=models.PROTECT, related_name="+")
    approved_on = models.DateField(_("审核日期"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    coverages = models.PositiveIntegerField(_("参保记录数"), default=0)
    error = models.CharField(_("错误"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("付款审核通过")
        constraints = [
            models.UniqueConstraint(fields=["work_order"], condition=Q(status="queued"),
                                    name="payment_approval_one_queued_per_order"),
        ]

    @property
    def is_finished(self) -> bool:
        return self.status != self.Status.QUEUED
