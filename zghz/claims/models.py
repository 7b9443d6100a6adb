"""Claims (理赔, SPEC §6): the claim itself, its node history and documents, the 医保 settlement records
it comes from, the import runs, and 待追回 items after a reversed settlement of a paid claim.

Money is never overwritten: 系统计算金额 (`computed_amount`, set once at adjudication), 核定金额
(`approved_amount`) and 实付金额 (`paid_amount`) are separate columns, and the claim's status and its
payment state are separate fields.
"""

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zghz.core.fields import EncryptedTextField
from zghz.core.workflow import TimelineEvent


def _money(label: Any, **kwargs: Any) -> models.DecimalField:
    return models.DecimalField(label, max_digits=12, decimal_places=2, **kwargs)


class Claim(models.Model):
    """理赔工单: one 住院, 重疾 or 意外 claim of one person under one coverage."""

    class Kind(models.TextChoices):
        HOSPITAL = "hospital", _("住院")
        CRITICAL_ILLNESS = "critical_illness", _("重疾")
        ACCIDENT = "accident", _("意外")

    class AccidentType(models.TextChoices):
        ACCIDENT = "accident", _("意外")
        WORK_INJURY = "work_injury", _("工伤")

    class AccidentResult(models.TextChoices):
        DEATH = "death", _("身故")
        DISABILITY = "disability", _("伤残")

    class GradeStandard(models.TextChoices):
        WORK_INJURY = "GB/T 16180", "GB/T 16180"
        ACCIDENT = "JR/T 0083", "JR/T 0083"

    class Status(models.TextChoices):
        PENDING_UPLOAD = "pending_upload", _("待上传")
        INITIAL_REVIEW = "initial_review", _("待初审")
        BUSINESS_REVIEW = "business_review", _("待复核")
        REPORT_REVIEW = "report_review", _("待报告复核")
        COMPLETED = "completed", _("已完成")
        PAID = "paid", _("已支付")
        REJECTED = "rejected", _("已驳回")
        RETURNED = "returned", _("已退回")

    class PaymentState(models.TextChoices):
        NONE = "none", _("未到支付")
        UNPAID = "unpaid", _("待支付")
        IN_BATCH = "in_batch", _("支付中")
        PAID = "paid", _("已支付")
        RECOVERY = "recovery", _("待追回")

    number = models.CharField(_("理赔编号"), max_length=20, unique=True)
    kind = models.CharField(_("报销险种"), max_length=20, choices=Kind.choices)
    accident_type = models.CharField(_("事故类型"), max_length=16, choices=AccidentType.choices, blank=True)
    accident_result = models.CharField(_("事故结果"), max_length=16, choices=AccidentResult.choices, blank=True)
    disability_grade = models.PositiveSmallIntegerField(_("伤残等级"), null=True, blank=True)
    grade_standard = models.CharField(_("鉴定标准"), max_length=16, choices=GradeStandard.choices, blank=True)
    assessed_on = models.DateField(_("鉴定日期"), null=True, blank=True)

    # Indexed by claim_person_idx (person, kind) and claim_unit_list_idx (unit, declared_at) below.
    person = models.ForeignKey("members.Person", verbose_name=_("理赔人"), on_delete=models.PROTECT,
                               related_name="claims", db_index=False)
    coverage = models.ForeignKey("coverage.Coverage", verbose_name=_("参保记录"), on_delete=models.PROTECT,
                                 related_name="claims")
    # The coverage's unit, denormalised so that the unit's 理赔 list needs no join.
    unit = models.ForeignKey("units.Unit", verbose_name=_("参保单位"), on_delete=models.PROTECT,
                             related_name="claims", db_index=False)
    # The plan year version whose rules the claim was adjudicated with.
    plan_year = models.ForeignKey("plans.PlanYear", verbose_name=_("参保项目"), on_delete=models.PROTECT,
                                  related_name="claims")

    status = models.CharField(_("状态"), max_length=20, choices=Status.choices)
    payment_state = models.CharField(_("支付状态"), max_length=16, choices=PaymentState.choices,
                                     default=PaymentState.NONE)

    computed_amount = _money(_("系统计算金额"))
    approved_amount = _money(_("核定金额"), null=True, blank=True)
    approved_amount_reason = models.TextField(_("核定金额调整原因"), blank=True)
    paid_amount = _money(_("实付金额"), null=True, blank=True)
    computation: Any = models.JSONField(_("计算过程"), default=dict, blank=True)
    rule_version = models.CharField(_("规则版本"), max_length=32, blank=True)
    flags: Any = models.JSONField(_("提示"), default=list, blank=True)

    settlement = models.ForeignKey("claims.SettlementRecord", verbose_name=_("医保结算记录"), null=True,
                                   blank=True, on_delete=models.PROTECT, related_name="claims")
    diagnosed_on = models.DateField(_("确诊时间"))
    diagnosis_code = models.CharField(_("诊断编码"), max_length=32, blank=True)
    diagnosis_name = models.CharField(_("疾病名称"), max_length=128, blank=True)
    hospital_name = models.CharField(_("医院名称"), max_length=128, blank=True)
    admitted_on = models.DateField(_("入院日期"), null=True, blank=True)
    discharged_on = models.DateField(_("出院日期"), null=True, blank=True)

    # 申报时间: the settlement import for 住院, the member's upload for 重疾 (null while 待上传), staff entry
    # for 意外.
    declared_at = models.DateTimeField(_("申报时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    reject_reason = models.CharField(_("驳回原因"), max_length=255, blank=True)
    # Set when the system rejected the claim: `settlement_reversed` (its 医保 settlement was reversed).
    reject_code = models.CharField(_("驳回代码"), max_length=32, blank=True)
    return_comment = models.CharField(_("退回意见"), max_length=255, blank=True)

    class Meta:
        ordering = ["-declared_at", "-id"]
        verbose_name = _("理赔工单")
        constraints = [
            models.UniqueConstraint(fields=["coverage"],
                                    condition=Q(kind="critical_illness") & ~Q(status="rejected"),
                                    name="claim_one_critical_illness_per_term"),
            models.UniqueConstraint(fields=["settlement"], condition=Q(kind="hospital"),
                                    name="claim_one_hospital_claim_per_settlement"),
            models.CheckConstraint(condition=Q(computed_amount__gte=0), name="claim_computed_amount_not_negative"),
            models.CheckConstraint(condition=Q(disability_grade__isnull=True)
                                   | Q(disability_grade__gte=1, disability_grade__lte=10),
                                   name="claim_disability_grade_1_to_10"),
        ]
        indexes = [
            # The lists' orders (zghz/core/pagination.py reads a page as one index range): a review
            # queue first come first served, every other list newest first (DESC puts the NULLs of
            # 待上传 first, as the list does).
            models.Index(fields=["status", "declared_at", "id"], name="claim_status_list_idx"),
            models.Index(fields=["-declared_at", "-id"], name="claim_list_idx"),
            models.Index(fields=["unit", "-declared_at", "-id"], name="claim_unit_order_idx"),
            models.Index(fields=["person", "kind"], name="claim_person_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class ClaimEvent(TimelineEvent):
    """理赔进度: one node of a claim's history (who decided what, when, with which comment).

    The shared timeline entry (`zghz.core.workflow.TimelineEvent`: actor and its label, at, action,
    status, comment, detail) plus the review `node`; a claim's decisions are 同意 / 不同意 / 退回."""

    class Node(models.TextChoices):
        SYSTEM = "system", _("系统自动审核")
        INITIAL = "initial", _("经办初审")
        BUSINESS = "business", _("业务复核")
        REPORT = "report", _("报告复核")
        UPLOAD = "upload", _("会员上传")
        STAFF_UPLOAD = "staff_upload", _("代为上传")
        PAYMENT = "payment", _("支付")

    class Decision(models.TextChoices):
        AGREE = "agree", _("同意")
        DISAGREE = "disagree", _("不同意")
        RETURN = "return", _("退回")

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events", db_index=False)  # (claim, at)
    node = models.CharField(_("节点"), max_length=16, choices=Node.choices)
    decision = models.CharField(_("审核结果"), max_length=16, choices=Decision.choices, blank=True)
    # The node says what happened; `action` is free for a finer code (e.g. "void" after a 撤销).
    action = models.CharField(_("操作"), max_length=32, blank=True)
    comment = models.TextField(_("处理意见"), blank=True)

    class Meta(TimelineEvent.Meta):
        ordering = ["at", "id"]
        verbose_name = _("理赔进度")
        indexes = [models.Index(fields=["claim", "at"], name="claimevent_claim_idx")]

    @property
    def is_rejection(self) -> bool:
        return self.decision == self.Decision.DISAGREE


class ClaimDocument(models.Model):
    """A document of a claim. A re-upload after 已退回 supersedes (`is_current=False`), never deletes."""

    class Group(models.TextChoices):
        EXAM_REPORT = "exam_report", _("检查报告单/病理报告")
        DISCHARGE = "discharge", _("出院记录/出院小结")
        ID_COPY = "id_copy", _("身份证复印件")
        CARD_COPY = "card_copy", _("社保卡复印件")
        APPLICATION = "application", _("领取互济金申请表")
        DEATH_CERT = "death_cert", _("死亡证明")
        INJURY_ASSESSMENT = "injury_assessment", _("工伤鉴定")
        DISABILITY_ASSESSMENT = "disability_assessment", _("伤残鉴定")

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="documents")
    group = models.CharField(_("材料类型"), max_length=32, choices=Group.choices)
    file = models.ForeignKey("files.StoredFile", on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey("accounts.User", verbose_name=_("上传人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"))
    is_current = models.BooleanField(default=True)

    class Meta:
        ordering = ["group", "uploaded_at", "id"]
        verbose_name = _("理赔材料")
        indexes = [models.Index(fields=["claim", "is_current"], name="claimdoc_claim_idx")]


class ClaimSequence(models.Model):
    """Per-day counter for readable claim numbers (LP + date + 6 digits), reserved under a row lock."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)


class SettlementImport(models.Model):
    """One import run of 医保 settlement records: a back-office upload, the command, or an API call."""

    class Source(models.TextChoices):
        FILE = "file", _("文件导入")
        API = "api", _("接口推送")

    class Status(models.TextChoices):
        QUEUED = "queued", _("导入中")  # from the upload until the import's one transaction commits
        RUNNING = "running", _("处理中")  # an API push's row, inside its own transaction only
        DONE = "done", _("已完成")
        FAILED = "failed", _("导入失败")

    source = models.CharField(_("来源"), max_length=8, choices=Source.choices, default=Source.FILE)
    actor = models.ForeignKey("accounts.User", verbose_name=_("导入人"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    api_client = models.CharField(_("接口客户端"), max_length=64, blank=True)
    file = models.ForeignKey("files.StoredFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(_("文件名"), max_length=255, blank=True)
    dry_run = models.BooleanField(_("试算"), default=False)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(_("总行数"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("已处理行数"), default=0)
    # outcome code -> number of rows
    counts: Any = models.JSONField(_("结果统计"), default=dict, blank=True)
    # The §6.1 per-row report in file order, one list per row in the order of REPORT_FIELDS (a 100,000-row
    # report without the repeated keys is half the size); `report_rows()` gives the dicts.
    report: Any = models.JSONField(_("导入报告"), default=list, blank=True)
    error = models.CharField(_("错误"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("结算数据导入")

    REPORT_FIELDS = ("row", "serial", "outcome", "amount", "flags", "reasons", "critical_illness", "claim")

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}

    def report_rows(self) -> list[dict[str, Any]]:
        """The report as SPEC §6.1 writes it: {row, serial, outcome, amount, flags, reasons,
        critical_illness, claim} per data row."""
        return [dict(zip(self.REPORT_FIELDS, r, strict=True)) for r in self.report or []]

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, self.rows_done * 100 // self.rows_total)


class SettlementRecord(models.Model):
    """One valid 医保 settlement record, stored whatever its outcome (re-importing it is a duplicate)."""

    class Type(models.TextChoices):
        NORMAL = "", _("结算")
        REVERSAL = "reversal", _("撤销")

    class Outcome(models.TextChoices):
        APPROVED = "approved", _("自动审核通过")
        MANUAL_REVIEW = "manual_review", _("待初审")
        BELOW_DEDUCTIBLE = "below_deductible", _("未超过起付线")
        ANNUAL_CAP_REACHED = "annual_cap_reached", _("年度限额已用完")
        WAITING_PERIOD = "waiting_period", _("等待期内")
        NO_COVERAGE = "no_coverage", _("无有效参保")
        REVERSED = "reversed", _("已撤销")
        DUPLICATE = "duplicate", _("重复")
        INVALID = "invalid", _("无效")

    class CriticalIllness(models.TextChoices):
        NONE = "", "—"
        CREATED = "created", _("已生成重疾理赔")
        EXISTS = "exists", _("重疾理赔已存在")

    # Unique and indexed through Meta (no LIKE-pattern copies of the indexes: the import writes 100,000
    # rows at a time and every index costs).
    serial = models.CharField(_("结算流水号"), max_length=64)
    id_hash = models.CharField(max_length=64)
    id_number = EncryptedTextField(_("身份证号"))
    name = models.CharField(_("姓名"), max_length=64)
    hospital_name = models.CharField(_("医院名称"), max_length=128, blank=True)
    admitted_on = models.DateField(_("入院日期"))
    discharged_on = models.DateField(_("出院日期"))
    diagnosis_code = models.CharField(_("诊断编码"), max_length=32, blank=True)
    diagnosis_name = models.CharField(_("诊断名称"), max_length=128, blank=True)
    total_cost = _money(_("医疗总费用"))
    fund_paid = _money(_("统筹支付"))
    self_pay = _money(_("个人自付"))
    self_expense = _money(_("个人自费"))
    settled_on = models.DateField(_("结算日期"))
    settlement_type = models.CharField(_("结算类型"), max_length=16, choices=Type.choices, blank=True)
    original_serial = models.CharField(_("原结算流水号"), max_length=64, blank=True)
    # What the import matched, kept with the record as it was read. No database constraint: the record is a
    # log of the 医保 input, and at 100,000 records an import would spend more time in the deferred foreign
    # key checks at COMMIT than in writing the rows (the claims made from it keep theirs). PROTECT still
    # applies in the ORM; people, coverage and imports are never deleted.
    person = models.ForeignKey("members.Person", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", db_index=False, db_constraint=False)  # settlement_person_idx
    coverage = models.ForeignKey("coverage.Coverage", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", db_index=False, db_constraint=False)
    outcome = models.CharField(_("处理结果"), max_length=20, choices=Outcome.choices)
    amount = _money(_("金额"), null=True, blank=True)
    flags: Any = models.JSONField(_("提示"), default=list, blank=True)
    reasons: Any = models.JSONField(_("原因"), default=list, blank=True)
    critical_illness = models.CharField(_("重疾"), max_length=8, choices=CriticalIllness.choices, blank=True)
    source = models.CharField(_("来源"), max_length=8, choices=SettlementImport.Source.choices)
    batch = models.ForeignKey(SettlementImport, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="records", db_index=False, db_constraint=False)  # settlement_batch_idx
    row_number = models.PositiveIntegerField(_("行号"), null=True, blank=True)
    # The fields as read, except 身份证号 (kept encrypted in `id_number` only).
    raw: Any = models.JSONField(_("原始数据"), default=dict, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["settled_on", "serial"]
        verbose_name = _("医保结算记录")
        constraints = [models.UniqueConstraint(fields=["serial"], name="settlement_unique_serial")]
        indexes = [
            models.Index(fields=["batch", "outcome"], name="settlement_batch_idx"),
            models.Index(fields=["person", "admitted_on"], name="settlement_person_idx"),
            models.Index(fields=["id_hash"], name="settlement_id_hash_idx"),
            models.Index(fields=["original_serial"], condition=~Q(original_serial=""),
                         name="settlement_original_idx"),
        ]

    def __str__(self) -> str:
        return self.serial


class Recovery(models.Model):
    """待追回: a paid claim whose settlement was reversed afterwards. Resolved by 财务 (payouts)."""

    class Status(models.TextChoices):
        OPEN = "open", _("待追回")
        RECOVERED = "recovered", _("已追回")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="recoveries")
    settlement = models.ForeignKey(SettlementRecord, verbose_name=_("撤销记录"), on_delete=models.PROTECT,
                                   related_name="recoveries")
    amount = _money(_("追回金额"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    resolved_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("待追回")
        constraints = [
            models.UniqueConstraint(fields=["claim"], condition=Q(status="open"), name="recovery_one_open_per_claim"),
        ]
