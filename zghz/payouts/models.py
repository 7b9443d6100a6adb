from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zghz.core.fields import EncryptedTextField

ZERO = Decimal("0.00")


def _money(label: Any, **kwargs: Any) -> models.DecimalField:  # type: ignore[type-arg]
    return models.DecimalField(label, max_digits=14, decimal_places=2, **kwargs)


class PayoutBatch(models.Model):
    """支付批次: 已完成 unpaid claims collected by 财务 and sent to the bank in one transfer file.

    待导出 → (银行文件 exported) 待回盘 → (every line 成功 or 失败) 已完成. The counts and amounts are
    kept by the services in the same transaction as the lines they count; the detail page checks them
    against the lines again (对账).
    """

    class Status(models.TextChoices):
        CREATED = "created", _("待导出")
        EXPORTED = "exported", _("待回盘")
        CLOSED = "closed", _("已完成")

    number = models.CharField(_("批次号"), max_length=20, unique=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.CREATED)
    # The filters the batch was made with (shown on the page; blank = 全部).
    month = models.DateField(_("完成月份"), null=True, blank=True)
    kind = models.CharField(_("报销险种"), max_length=20, blank=True)
    district = models.ForeignKey("units.District", verbose_name=_("所属区局"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    line_count = models.PositiveIntegerField(_("笔数"), default=0)
    total_amount = _money(_("总金额"), default=ZERO)
    success_count = models.PositiveIntegerField(_("成功笔数"), default=0)
    success_amount = _money(_("成功金额"), default=ZERO)
    failed_count = models.PositiveIntegerField(_("失败笔数"), default=0)
    failed_amount = _money(_("失败金额"), default=ZERO)
    created_by = models.ForeignKey("accounts.User", verbose_name=_("创建人"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    exported_by = models.ForeignKey("accounts.User", verbose_name=_("导出人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    exported_at = models.DateTimeField(_("导出时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("支付批次")
        constraints = [
            models.CheckConstraint(condition=Q(success_count__lte=models.F("line_count") - models.F("failed_count")),
                                   name="payout_batch_counts_add_up"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def pending_count(self) -> int:
        return self.line_count - self.success_count - self.failed_count

    @property
    def pending_amount(self) -> Decimal:
        return self.total_amount - self.success_amount - self.failed_amount


class PayoutLine(models.Model):
    """One payment of a batch, with the snapshot of 户名 / 银行卡号 / 开户行 / 金额 as exported.

    The database promises what money needs most: a claim has at most one open (未回盘) line, and at most
    one 成功 line ever. A 失败 line stays as it is; a retry is a new line in a later batch.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("未回盘")
        SUCCESS = "success", _("成功")
        FAILED = "failed", _("失败")

    class FailureCode(models.TextChoices):
        NAME_MISMATCH = "name_mismatch", _("户名不符")
        ACCOUNT_INVALID = "account_invalid", _("账号无效")
        ACCOUNT_CLOSED = "account_closed", _("账户已销户")
        OTHER = "other", _("其他")

    class Via(models.TextChoices):
        RETURN_FILE = "return_file", _("回盘导入")
        MANUAL = "manual", _("手工标记")

    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="lines")
    seq = models.PositiveIntegerField(_("序号"))
    claim = models.ForeignKey("claims.Claim", verbose_name=_("理赔编号"), on_delete=models.PROTECT,
                              related_name="payout_lines")
    account_name = models.CharField(_("户名"), max_length=64)
    bank_card = EncryptedTextField(_("银行卡号"))
    bank_name = models.CharField(_("开户行"), max_length=64)
    amount = _money(_("金额"))
    summary = models.CharField(_("摘要"), max_length=32)
    status = models.CharField(_("支付结果"), max_length=16, choices=Status.choices, default=Status.PENDING)
    failure_code = models.CharField(_("失败类型"), max_length=20, choices=FailureCode.choices, blank=True)
    failure_reason = models.CharField(_("银行返回原因"), max_length=255, blank=True)
    marked_via = models.CharField(_("回盘方式"), max_length=16, choices=Via.choices, blank=True)
    marked_by = models.ForeignKey("accounts.User", verbose_name=_("回盘确认人"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    marked_at = models.DateTimeField(_("回盘时间"), null=True, blank=True)
    payout_return = models.ForeignKey("PayoutReturn", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")

    class Meta:
        ordering = ["batch", "seq"]
        verbose_name = _("支付明细")
        constraints = [
            models.UniqueConstraint(fields=["claim"], condition=Q(status="pending"),
                                    name="payout_line_one_open_per_claim"),
            models.UniqueConstraint(fields=["claim"], condition=Q(status="success"),
                                    name="payout_line_paid_once_per_claim"),
            models.UniqueConstraint(fields=["batch", "seq"], name="payout_line_unique_seq"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_line_amount_positive"),
            models.CheckConstraint(condition=Q(status="failed") | Q(failure_code=""),
                                   name="payout_line_failure_code_only_when_failed"),
        ]
        indexes = [models.Index(fields=["batch", "status"], name="payout_line_batch_status_idx")]

    def __str__(self) -> str:
        return f"{self.batch_id}#{self.seq}"


class JobStatus(models.TextChoices):
    """Where a background job of 支付批次 stands (zghz.core.jobs)."""

    QUEUED = "queued", _("处理中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("处理失败")


class PayoutBatchJob(models.Model):
    """One 生成批次 a 财务 asked for: the filters, then the batch it made (or why it could not)."""

    status = models.CharField(_("状态"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    month = models.DateField(_("完成月份"), null=True, blank=True)
    kind = models.CharField(_("报销险种"), max_length=20, blank=True)
    district = models.ForeignKey("units.District", verbose_name=_("所属区局"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    expected_count = models.PositiveIntegerField(_("预计笔数"), default=0)
    created_by = models.ForeignKey("accounts.User", verbose_name=_("创建人"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    batch = models.OneToOneField(PayoutBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="job")
    error = models.CharField(_("错误"), max_length=255, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("生成批次任务")

    @property
    def is_finished(self) -> bool:
        return self.status != JobStatus.QUEUED


class PayoutReturn(models.Model):
    """One 回盘 upload: queued (the file stored encrypted, read by a background task), then applied, or
    refused with the differences and bad rows it showed (kept either way)."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("已确认")
        MISMATCH = "mismatch", _("与批次不一致")
        INVALID = "invalid", _("文件有误")

    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="returns")
    uploaded_by = models.ForeignKey("accounts.User", verbose_name=_("上传人"), on_delete=models.PROTECT,
                                    related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    file_name = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(_("状态"), max_length=16, choices=JobStatus.choices, default=JobStatus.DONE)
    file = models.ForeignKey("files.StoredFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    outcome = models.CharField(_("结果"), max_length=16, choices=Outcome.choices, blank=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    success_count = models.PositiveIntegerField(_("成功笔数"), default=0)
    failed_count = models.PositiveIntegerField(_("失败笔数"), default=0)
    error = models.CharField(_("错误"), max_length=255, blank=True)
    differences: Any = models.JSONField(_("差异"), default=list, blank=True)
    bad_rows: Any = models.JSONField(_("错误行"), default=list, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("回盘")

    @property
    def is_finished(self) -> bool:
        return self.status != JobStatus.QUEUED


class PayoutSequence(models.Model):
    """Per-day counter for readable batch numbers (ZF + date + 6 digits), incremented under a row lock."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)
