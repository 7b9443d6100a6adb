"""Writes of the claim review (SPEC §6.2, §6.3): the three review nodes, documents, the offline 意外/工伤
entry.

Every decision is a conditional update on the claim's current status (two staff clicking at once give
one decision; the other gets AlreadyProcessed "已被处理"), with a 理赔进度 row and an audit row in the same
transaction; the member's SMS (已退回, 已驳回) is queued in that transaction and sent on commit. Who may
take which step is `policy.claim_actions` / `decide_refusal`, and these services enforce it.

Money is never overwritten: `computed_amount` (系统计算金额) stays as adjudicated; a reviewer may set
`approved_amount` (核定金额) to something else only with a reason; `paid_amount` belongs to payouts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zghz.accounts.models import User
from zghz.accounts.policy import staff_can
from zghz.audit.services import record
from zghz.core.crypto import blind_index
from zghz.core.errors import AlreadyProcessed, DomainError
from zghz.core.idcard import check_id_number, normalise_id
from zghz.core.workflow import lock, transition
from zghz.coverage.models import Coverage
from zghz.files.services import (
    DOCUMENT_TYPES,
    IMAGE_TYPES,
    CheckedUpload,
    atomic_with_uploads,
    check_upload,
    save_upload,
)
from zghz.members.models import Person
from zghz.plans.models import PlanYear
from zghz.sms.services import sms_queue

from .adjudication import rule_version
from .documents import group_label, missing_groups
from .links import member_claim_link
from .models import Claim, ClaimDocument, ClaimEvent
from .numbers import reserve_claim_numbers
from .policy import (
    NEXT_STATUS,
    NODE_FOR_STATUS,
    NODE_PERMISSION,
    STATUS_FOR_NODE,
    ClaimActions,
    claim_actions,
    decide_refusal,
    upload_refusal,
)

__all__ = [
    "AccidentResult",
    "ClaimActions",
    "accident_amount",
    "claim_accident_create",
    "claim_actions",
    "claim_decide",
    "claim_documents_upload",
]

S = Claim.Status
N = ClaimEvent.Node
D = ClaimEvent.Decision
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999.99")
MAX_FILES = 20
# SPEC §6.3 / JR/T 0083 and GB/T 16180 practice: a disability is assessed once the injury has stabilised,
# usually 180 days after the accident. An earlier assessment is allowed but flagged for the reviewers.
ASSESSMENT_MIN_DAYS = 180
EARLY_ASSESSMENT = "early_assessment"
FLAG_LABELS = {
    "above_threshold": gettext_lazy("金额达到人工审核标准"),
    "overlapping_stay": gettext_lazy("住院时间与其他住院重叠"),
    "name_mismatch": gettext_lazy("姓名与参保信息不一致"),
    EARLY_ASSESSMENT: gettext_lazy("伤残鉴定距事故日期不足 180 天"),
}


def _event(claim: Claim, *, node: str, actor: User | None, action: str, decision: str = "",
           comment: str = "", detail: dict[str, Any] | None = None) -> ClaimEvent:
    """One 理赔进度 entry, with the claim's status after the step."""
    return ClaimEvent.log(actor=actor, action=action, status=claim.status, decision=decision, comment=comment,
                          detail=detail, claim=claim, node=node)


def _lock(claim: Claim, *statuses: str) -> Claim:
    """Re-read the claim under a row lock; AlreadyProcessed when it is no longer in one of `statuses`."""
    return lock(Claim.objects.select_related("person", "unit", "plan_year__plan"), claim.pk, from_status=statuses)


def _move(claim: Claim, from_status: str, to_status: str, **fields: Any) -> None:
    """The status change itself: only one request moves the claim out of `from_status`."""
    transition(claim, from_status=from_status, to_status=to_status, **fields)


def _notify_member(claim: Claim, event: ClaimEvent, template: str, **params: object) -> None:
    """The member's SMS of one step: a template of the 理赔通知 purpose (claims/registry.py)."""
    phone = claim.person.phone
    if phone:
        sms_queue(phone=phone, purpose="claim", template=template,
                  params={"kind": claim.get_kind_display(), "number": claim.number, **params},
                  idempotency_key=f"claim:{event.pk}", unit_id=claim.unit_id)


def _money(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except (InvalidOperation, ValueError):
        raise DomainError(_("请填写正确的核定金额（元，最多两位小数）"), field="approved_amount") from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT or amount != amount.quantize(CENT):
        raise DomainError(_("核定金额须大于 0，单位为元，最多两位小数"), field="approved_amount")
    return amount.quantize(CENT)


# ---------------------------------------------------------------------------------------------------
# 经办初审 / 业务复核 / 报告复核


def claim_decide(*, actor: User, claim: Claim, node: str, decision: str, comment: str = "",
                 approved_amount: Decimal | str | None = None, reason: str = "") -> Claim:
    """One decision at one review node.

    - 同意 (`agree`): 待初审 → 待复核 → 待报告复核 → 已完成. 经办初审 cannot agree while a required document
      is missing. `approved_amount` (核定金额) may differ from the amount so far only with `reason`; the
      claim's 核定金额 is set at every agreement (= 系统计算金额 unless changed). 已完成 sets 完成时间 and
      payment state 待支付.
    - 不同意 (`disagree`): → 已驳回, final; `comment` is the reason (required); SMS to the member.
    - 退回 (`return`): → 已退回 with `comment` (required) and an SMS; the member (or staff on their behalf)
      uploads again and the claim comes back to 待初审. A 住院 claim cannot be returned.

    Raises AlreadyProcessed when the claim moved on meanwhile, DomainError for anything else."""
    comment = (comment or "").strip()
    reason = (reason or "").strip()
    if decision not in D.values:
        raise DomainError(_("请选择审核结果"), field="decision")
    refusal = decide_refusal(actor, claim, node)
    if refusal:
        # Someone who may take this node but finds the claim elsewhere was simply beaten to it.
        if NODE_FOR_STATUS.get(claim.status) != node and node in NODE_PERMISSION \
                and staff_can(actor, NODE_PERMISSION[node], write=True):
            raise AlreadyProcessed(_("该理赔已被处理，请刷新页面查看最新状态"))
        raise DomainError(refusal, code="forbidden", status=403)
    if decision in (D.DISAGREE, D.RETURN) and not comment:
        raise DomainError(_("请填写不同意的原因") if decision == D.DISAGREE else _("请填写退回意见"),
                          field="comment")
    if decision == D.RETURN and claim.kind == Claim.Kind.HOSPITAL:
        raise DomainError(_("住院理赔依据医保结算数据生成，没有需要会员重新上传的材料，不能退回"), field="decision")
    new_amount = _money(approved_amount) if approved_amount not in (None, "") else None
    from_status = STATUS_FOR_NODE[node]
    with transaction.atomic():
        c = _lock(claim, from_status)
        refusal = decide_refusal(actor, c, node)  # again under the lock: the previous node's decider is final now
        if refusal:
            raise DomainError(refusal, code="forbidden", status=403)
        now = timezone.now()
        detail: dict[str, Any] = {"number": c.number, "node": node, "decision": decision}
        if decision == D.AGREE:
            if node == N.INITIAL:
                missing = missing_groups(c)
                if missing:
                    raise DomainError(_("缺少材料：{groups}，补齐后才能同意").format(
                        groups="、".join(group_label(g) for g in missing)), code="documents_missing")
            current = c.approved_amount if c.approved_amount is not None else c.computed_amount
            fields: dict[str, Any] = {}
            if new_amount is not None and new_amount != current:
                if not reason:
                    raise DomainError(_("修改核定金额须填写原因"), field="reason")
                fields.update(approved_amount=new_amount, approved_amount_reason=reason[:1000])
                detail.update(amount_from=str(current), amount_to=str(new_amount), reason=reason)
            else:
                fields["approved_amount"] = current
            to_status = NEXT_STATUS[from_status]
            if to_status == S.COMPLETED:
                fields.update(completed_at=now, payment_state=Claim.PaymentState.UNPAID)
            _move(c, from_status, to_status, **fields)
            if "amount_to" in detail:
                change = _("核定金额由 {old} 元改为 {new} 元，原因：{reason}").format(
                    old=current, new=new_amount, reason=reason)
                comment = f"{comment}（{change}）" if comment else change
            _event(c, node=node, actor=actor, action="agree", decision=decision, comment=comment,
                   detail={k: v for k, v in detail.items() if k.startswith("amount_")})
            record(action="claim.agree", actor=actor, unit=c.unit, obj=c, status=to_status,
                   approved_amount=str(c.approved_amount), **detail)
        elif decision == D.DISAGREE:
            _move(c, from_status, S.REJECTED, reject_reason=comment[:255], payment_state=Claim.PaymentState.NONE)
            event = _event(c, node=node, actor=actor, action="disagree", decision=decision, comment=comment)
            record(action="claim.reject", actor=actor, unit=c.unit, obj=c, reason=comment, **detail)
            _notify_member(c, event, "rejected", reason=comment)
        else:
            _move(c, from_status, S.RETURNED, return_comment=comment[:255])
            event = _event(c, node=node, actor=actor, action="return", decision=decision, comment=comment)
            record(action="claim.return", actor=actor, unit=c.unit, obj=c, comment=comment, **detail)
            # 重疾 documents come from the member's phone; 意外 documents are handed in at the union.
            if c.kind == Claim.Kind.CRITICAL_ILLNESS:
                _notify_member(c, event, "returned_online", comment=comment, link=member_claim_link(c.number))
            else:
                _notify_member(c, event, "returned_offline", comment=comment)
    return c


# ---------------------------------------------------------------------------------------------------
# Documents: the member's upload (H5) and staff uploading on the member's behalf


def claim_documents_upload(*, actor: User, claim: Claim, group: str, files: Sequence[UploadedFile]) -> list[ClaimDocument]:
    """Store `files` as documents of `group` (ClaimDocument.Group) for `claim`.

    Members upload png/jpg/jpeg (re-encoded); staff (经办, on the member's behalf, audited as such) may
    also upload pdf. The first upload of a group after 已退回 supersedes that group's earlier documents
    (kept, `is_current=False`); more uploads in the same round add to it. When every document the claim
    needs is there, a 待上传 or 已退回 claim moves to 待初审 (申报时间 is the member's first upload of a 重疾
    claim). Raises DomainError (nothing stored) when a file is refused."""
    refusal = upload_refusal(actor, claim, group)
    if refusal:
        raise DomainError(refusal, code="forbidden", status=403)
    files = [f for f in files if f is not None]
    if not files:
        raise DomainError(_("请选择要上传的{group}").format(group=group_label(group)), field="files")
    if len(files) > MAX_FILES:
        raise DomainError(_("一次最多上传 {n} 个文件").format(n=MAX_FILES), field="files")
    by_member = actor.kind == User.Kind.MEMBER
    allowed = IMAGE_TYPES if by_member else DOCUMENT_TYPES
    checked: list[CheckedUpload] = []
    for f in files:
        try:
            checked.append(check_upload(f, allowed=allowed))
        except DomainError as e:
            raise DomainError(_("{name}：{message}").format(name=f.name, message=e.message), field="files") from None
    node = N.UPLOAD if by_member else N.STAFF_UPLOAD
    # Files are stored only once the claim is locked in a state that takes them: a lost race stores nothing.
    with atomic_with_uploads():
        c = _lock(claim, *((S.PENDING_UPLOAD, S.RETURNED) if by_member else (S.PENDING_UPLOAD, S.RETURNED,
                                                                             S.INITIAL_REVIEW)))
        stored = [save_upload(f, purpose="claim_document", actor=actor, unit=claim.unit) for f in checked]
        now = timezone.now()
        last_return = (ClaimEvent.objects.filter(claim=c, decision=D.RETURN).order_by("-at", "-id")
                       .values_list("at", flat=True).first())
        if last_return is not None:
            ClaimDocument.objects.filter(claim=c, group=group, is_current=True,
                                         uploaded_at__lt=last_return).update(is_current=False)
        docs = ClaimDocument.objects.bulk_create(
            [ClaimDocument(claim=c, group=group, file=s, uploaded_by=actor, uploaded_at=now) for s in stored])
        moved = False
        if c.status in (S.PENDING_UPLOAD, S.RETURNED) and not missing_groups(c):
            fields: dict[str, Any] = {"return_comment": ""}
            if c.status == S.PENDING_UPLOAD and c.kind == Claim.Kind.CRITICAL_ILLNESS:
                fields["declared_at"] = now  # 申报时间 of a 重疾 claim: the member's upload (SPEC §9)
            _move(c, c.status, S.INITIAL_REVIEW, **fields)
            moved = True
        _event(c, node=node, actor=actor, action="upload", comment=_("{group} {n} 份").format(
            group=group_label(group), n=len(docs)), detail={"group": group, "files": len(docs)})
        record(action="claim.staff_upload" if not by_member else "claim.upload", actor=actor, unit=c.unit, obj=c,
               number=c.number, group=group, files=len(docs), submitted=moved)
    return docs


def claim_documents_submit(*, actor: User, claim: Claim, groups: Mapping[str, Sequence[UploadedFile]]) -> list[ClaimDocument]:
    """确认并上传 of several groups at once (the member H5's 上传病理报告): `claim_documents_upload` for each
    group that has files, all or nothing: a refused file in any group stores none of them."""
    chosen = {g: [f for f in files if f is not None] for g, files in groups.items()}
    chosen = {g: files for g, files in chosen.items() if files}
    if not chosen:
        raise DomainError(_("请选择要上传的图片"), field="files")
    docs: list[ClaimDocument] = []
    with atomic_with_uploads():
        for group, files in chosen.items():
            docs.extend(claim_documents_upload(actor=actor, claim=claim, group=group, files=files))
    return docs


# ---------------------------------------------------------------------------------------------------
# Offline 意外 / 工伤 entry (SPEC §6.3)


@dataclass
class AccidentResult:
    claim: Claim
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AccidentAmount:
    amount: Decimal
    computation: dict[str, Any]


def accident_amount(*, plan_year: PlanYear, result: str, grade: int | None, previously_paid: Decimal) -> AccidentAmount:
    """death = the plan year's death amount; grade g = death × the grade's ratio (half-up to the cent);
    a death after a disability of the same accident pays the difference (never below 0)."""
    rules = plan_year.rules.accident
    steps: dict[str, Any] = {"rule": "accident", "death_amount": str(rules.death), "result": result}
    if result == Claim.AccidentResult.DEATH:
        base = rules.death
    else:
        assert grade is not None
        base = rules.disability_amount(grade)
        steps.update(grade=grade, ratio=str(rules.disability_ratio(grade)))
    steps["base_amount"] = str(base)
    amount = base
    if previously_paid:
        amount = max(Decimal("0.00"), base - previously_paid)
        steps["previously_paid"] = str(previously_paid)
    steps["amount"] = str(amount.quantize(CENT))
    return AccidentAmount(amount.quantize(CENT), steps)


def _parse_date(value: Any, label: str, field_name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise DomainError(_("请填写正确的{label}").format(label=label), field=field_name) from None


def claim_accident_create(*, actor: User, id_number: str, accident_date: date | str, accident_type: str,
                          result: str, grade: int | None = None, assessed_on: date | str | None = None,
                          plan_id: int | None = None, diagnosis_name: str = "", hospital_name: str = "",
                          documents: Mapping[str, Sequence[UploadedFile]] | None = None) -> AccidentResult:
    """经办 enters an offline 意外/工伤 claim: the person by ID number, 事故日期, 意外 or 工伤, 身故 or 伤残 with
    a grade 1–10 (and the assessment date), and the scanned documents. The coverage must be in force on
    事故日期 (no waiting period for accidents). The claim starts at 待初审; missing documents can follow
    (经办初审 cannot 同意 before they are there). Returns the claim and warnings (an assessment less than
    180 days after the accident)."""
    if not staff_can(actor, "accounts.claim_initial_review", write=True):
        raise DomainError(_("没有录入意外理赔的权限"), code="forbidden", status=403)
    idn = normalise_id(id_number or "").upper()
    if not idn or check_id_number(idn) is not None:
        raise DomainError(_("请填写正确的 18 位居民身份证号"), field="id_number")
    day = _parse_date(accident_date, _("事故日期"), "accident_date")
    today = timezone.localdate()
    if day > today:
        raise DomainError(_("事故日期不能晚于今天"), field="accident_date")
    if accident_type not in Claim.AccidentType.values:
        raise DomainError(_("请选择意外或工伤"), field="accident_type")
    if result not in Claim.AccidentResult.values:
        raise DomainError(_("请选择身故或伤残"), field="result")
    assessed: date | None = None
    if result == Claim.AccidentResult.DISABILITY:
        if grade is None or not 1 <= int(grade) <= 10:
            raise DomainError(_("请选择伤残等级（1–10 级）"), field="grade")
        grade = int(grade)
        if assessed_on in (None, ""):
            raise DomainError(_("请填写鉴定日期"), field="assessed_on")
        assessed = _parse_date(assessed_on, _("鉴定日期"), "assessed_on")
        if assessed < day:
            raise DomainError(_("鉴定日期不能早于事故日期"), field="assessed_on")
        if assessed > today:
            raise DomainError(_("鉴定日期不能晚于今天"), field="assessed_on")
    else:
        grade = None
    person = Person.objects.filter(id_hash=blind_index(idn, purpose="id")).first()
    if person is None:
        raise DomainError(_("未找到该身份证号的参保人员"), field="id_number")
    coverages = Coverage.objects.filter(person=person, start_date__lte=day, end_date__gte=day).select_related(
        "plan_year__plan", "unit")
    if plan_id:
        coverages = coverages.filter(plan_id=plan_id)
    found = list(coverages.order_by("plan_id"))
    if not found:
        raise DomainError(_("该人员在事故日期 {day} 没有有效的参保记录").format(day=day), field="accident_date")
    if len(found) > 1:
        raise DomainError(_("该人员在事故日期有多个参保项目，请选择参保项目"), field="plan")
    coverage = found[0]
    # Check the files before anything is written; they are stored once the claim is known to be valid.
    docs = {g: [f for f in fs if f is not None] for g, fs in (documents or {}).items()}
    for g in docs:
        if g not in ClaimDocument.Group.values:
            raise DomainError(_("未知的材料类型"), field="documents")
    warnings: list[str] = []
    flags: list[str] = []
    if assessed is not None and (assessed - day) < timedelta(days=ASSESSMENT_MIN_DAYS):
        flags.append(EARLY_ASSESSMENT)
        warnings.append(_("伤残鉴定日期距事故日期仅 {days} 天，不足 180 天，请核实鉴定是否在治疗终结后作出").format(
            days=(assessed - day).days))
    checked: dict[str, list[CheckedUpload]] = {}
    for g, fs in docs.items():
        for f in fs:
            try:
                checked.setdefault(g, []).append(check_upload(f, allowed=DOCUMENT_TYPES))
            except DomainError as e:
                raise DomainError(_("{group}：{message}").format(group=group_label(g), message=e.message),
                                  field="documents") from None
    # The documents are stored once the claim is decided on; any refusal below leaves no file behind.
    with atomic_with_uploads():
        # One accident of one person is entered by one clerk at a time (death after disability reads the
        # disability claims of the same accident).
        Person.objects.select_for_update().filter(pk=person.pk).first()
        same = Claim.objects.filter(person=person, kind=Claim.Kind.ACCIDENT, diagnosed_on=day).exclude(
            status=S.REJECTED)
        if same.filter(accident_result=Claim.AccidentResult.DEATH).exists():
            raise DomainError(_("该人员此次事故已有身故理赔，不能重复录入"), field="result")
        disability = same.filter(accident_result=Claim.AccidentResult.DISABILITY)
        if result == Claim.AccidentResult.DISABILITY and disability.exists():
            raise DomainError(_("该人员此次事故已有伤残理赔，不能重复录入"), field="result")
        previously = Decimal("0.00")
        if result == Claim.AccidentResult.DEATH and disability.exists():
            if disability.exclude(status__in=[S.COMPLETED, S.PAID]).exists():
                raise DomainError(_("该人员此次事故的伤残理赔尚在审核中，请先办结后再录入身故理赔"), field="result")
            paid = disability.aggregate(
                paid=Sum("paid_amount", filter=Q(status=S.PAID)),
                approved=Sum("approved_amount", filter=Q(status=S.COMPLETED)))
            previously = (paid["paid"] or Decimal("0.00")) + (paid["approved"] or Decimal("0.00"))
        amounts = accident_amount(plan_year=coverage.plan_year, result=result, grade=grade,
                                  previously_paid=previously)
        if amounts.amount <= 0:
            raise DomainError(_("此次事故已给付的伤残互助金（{paid} 元）不低于身故金额，无需再给付").format(
                paid=previously), field="result")
        now = timezone.now()
        number = reserve_claim_numbers(1)[0]
        py = coverage.plan_year
        claim = Claim.objects.create(
            number=number, kind=Claim.Kind.ACCIDENT, accident_type=accident_type, accident_result=result,
            disability_grade=grade,
            grade_standard=("" if grade is None else Claim.GradeStandard.WORK_INJURY
                            if accident_type == Claim.AccidentType.WORK_INJURY else Claim.GradeStandard.ACCIDENT),
            assessed_on=assessed, person=person, coverage=coverage, unit=coverage.unit, plan_year=py,
            status=S.INITIAL_REVIEW, computed_amount=amounts.amount, computation=amounts.computation,
            rule_version=rule_version(py), flags=flags, diagnosed_on=day,
            diagnosis_name=(diagnosis_name or "").strip()[:128], hospital_name=(hospital_name or "").strip()[:128],
            declared_at=now,
        )
        stored = {g: [save_upload(f, purpose="claim_document", actor=actor, unit=coverage.unit) for f in fs]
                  for g, fs in checked.items()}
        ClaimDocument.objects.bulk_create([ClaimDocument(claim=claim, group=g, file=s, uploaded_by=actor,
                                                         uploaded_at=now) for g, ss in stored.items() for s in ss])
        _event(claim, node=N.STAFF_UPLOAD, actor=actor, action="accident_create", comment=_("线下录入{type}理赔，材料 {n} 份").format(
            type=claim.get_accident_type_display(), n=sum(len(ss) for ss in stored.values())))
        record(action="claim.accident_create", actor=actor, unit=coverage.unit, obj=claim, number=number,
               accident_type=accident_type, result=result, grade=grade, amount=str(amounts.amount),
               previously_paid=str(previously), flags=flags)
    return AccidentResult(claim, warnings)
