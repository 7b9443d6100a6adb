"""Reads of claims: the one permission-checked getter per portal, the review queues, the unit's 理赔分析
(the claims list; its per-year figures are zghz.analytics'), the 理赔进度 rows and the computation as a readable
formula.

Scope lives here: a unit sees the claims of its own coverage (`Claim.unit`), a member their own, staff
every claim with the city-wide view and a 区局 account its district's; anything else is 404.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zghz.accounts.models import User
from zghz.accounts.policy import sees_all_districts, staff_can, staff_district_id
from zghz.core.crypto import blind_index
from zghz.core.idcard import mask_card, mask_phone
from zghz.core.numbers import number_lookup
from zghz.coverage.models import Coverage
from zghz.members.models import Person
from zghz.plans.models import Plan, PlanYear
from zghz.units.models import Unit

from .documents import group_label
from .models import Claim, ClaimDocument, ClaimEvent

S = Claim.Status
N = ClaimEvent.Node
# The nodes units and members see as 理赔进度 (SPEC §6, §6.5); staff also see uploads and payment.
PROGRESS_NODES = (N.SYSTEM, N.INITIAL, N.BUSINESS, N.REPORT)
# 理赔件数 / 理赔金额 of 理赔分析 count claims that were decided for payment.
SETTLED = (S.COMPLETED, S.PAID)


# ---------------------------------------------------------------------------------------------------
# Getters


def _detail_qs() -> QuerySet[Claim]:
    return Claim.objects.select_related("person", "unit__district", "plan_year__plan", "coverage", "settlement")


def claim_for_unit(unit: Unit, number: str) -> Claim:
    """A claim of the unit's own coverage by number; any other claim (or none) is 404 for every method."""
    # A unit sees the claims of its history only once 已通过 (a registered 历史单位, SPEC §5.1).
    claim = _detail_qs().filter(unit=unit, number=number).first() if unit.is_approved else None
    if claim is None:
        raise Http404
    return claim


def claim_for_member(person: Person, number: str) -> Claim:
    claim = _detail_qs().filter(person=person, number=number).first()
    if claim is None:
        raise Http404
    return claim


def claims_of_person(person: Person, *, plan_id: int | None = None, year: int | None = None) -> QuerySet[Claim]:
    """The member's own claims, newest 申报时间 first (待上传 ones, not declared yet, first): of one 参保项目
    and/or whose coverage term is in force on some day of `year` (the 参保时间 rule of 参保记录)."""
    qs = Claim.objects.filter(person_id=person.pk)
    if plan_id:
        qs = qs.filter(plan_year__plan_id=plan_id)
    if year:
        qs = qs.filter(coverage__start_date__lte=date(year, 12, 31), coverage__end_date__gte=date(year, 1, 1))
    return qs.select_related("plan_year__plan").order_by(F("declared_at").desc(nulls_first=True), "-id")


def claims_visible_to_staff(user: User) -> QuerySet[Claim]:
    if not staff_can(user):
        return Claim.objects.none()
    if sees_all_districts(user):
        return Claim.objects.all()
    district_id = staff_district_id(user)
    return Claim.objects.filter(unit__district_id=district_id) if district_id is not None else Claim.objects.none()


def claim_for_staff(user: User, number: str) -> Claim:
    claim = claims_visible_to_staff(user).filter(number=number).select_related(
        "person", "unit__district", "plan_year__plan", "coverage", "settlement").first()
    if claim is None:
        raise Http404
    return claim


def claim_document(claim: Claim, document_id: int) -> ClaimDocument:
    """A document of a claim already fetched through its getter."""
    doc = ClaimDocument.objects.select_related("file").filter(claim=claim, pk=document_id).first()
    if doc is None:
        raise Http404
    return doc


# ---------------------------------------------------------------------------------------------------
# Back office queues


def claim_search(user: User, *, status: str = "", kind: str = "", number: str = "",
                 name: str = "") -> QuerySet[Claim]:
    qs = claims_visible_to_staff(user).select_related("person", "unit", "plan_year__plan")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if number.strip():
        qs = qs.filter(number_lookup("number", number))
    if name.strip():
        # 理赔人姓名 matches from the start (a full name, or a surname), through members' name index:
        # a match anywhere in the name would read every insured person.
        qs = qs.filter(person__name__startswith=name.strip())
    # A review queue is worked first come, first served; any other list shows the newest first.
    if status in (S.INITIAL_REVIEW, S.BUSINESS_REVIEW, S.REPORT_REVIEW):
        return qs.order_by("declared_at", "id")
    return qs.order_by(F("declared_at").desc(nulls_first=True), "-id")


def claim_queue_counts(user: User) -> dict[str, int]:
    """Claims waiting at each review node, among those the staff member may see (one query)."""
    qs = claims_visible_to_staff(user).filter(status__in=[S.INITIAL_REVIEW, S.BUSINESS_REVIEW, S.REPORT_REVIEW])
    counts: dict[str, int] = dict.fromkeys((S.INITIAL_REVIEW, S.BUSINESS_REVIEW, S.REPORT_REVIEW), 0)
    for row in qs.order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


# ---------------------------------------------------------------------------------------------------
# The unit's 理赔分析 (SPEC §6.5, §9; manual 五)


@dataclass(frozen=True)
class ClaimFilter:
    """The unit's claims query: 参保项目, 理赔人姓名, 理赔人电话 (kept only as its blind index, so the
    filter can be stored with an export job), 理赔时间 (申报时间 from/to, local dates)."""

    plan_id: int | None = None
    name: str = ""
    phone_hash: str = ""
    phone_masked: str = ""
    date_from: str = ""  # ISO dates, so the filter is JSON
    date_to: str = ""

    @classmethod
    def build(cls, *, plan_id: int | None = None, name: str = "", phone: str = "", date_from: date | None = None,
              date_to: date | None = None) -> ClaimFilter:
        phone = phone.strip()
        return cls(plan_id=plan_id, name=name.strip(), phone_hash=blind_index(phone, purpose="phone") if phone else "",
                   phone_masked=mask_phone(phone) if phone else "",
                   date_from=date_from.isoformat() if date_from else "", date_to=date_to.isoformat() if date_to else "")

    def as_params(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> ClaimFilter:
        return cls(**{k: params[k] for k in cls.__dataclass_fields__ if k in params})

    def for_audit(self) -> dict[str, Any]:
        return {k: v for k, v in self.as_params().items() if v not in ("", None) and k != "phone_hash"}


def _local_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def claims_of_unit(unit: Unit, f: ClaimFilter | None = None) -> QuerySet[Claim]:
    """The unit's claims matching `f`, newest 申报时间 first (a page is one range of claim_unit_order_idx)."""
    if not unit.is_approved:  # a registered 历史单位 sees its history only once 已通过 (SPEC §5.1)
        return Claim.objects.none()
    qs = Claim.objects.filter(unit_id=unit.pk)
    f = f or ClaimFilter()
    if f.plan_id:
        # The plan's few plan years as literal ids, not a join: the planner then knows how many of the
        # unit's claims match and reads the page along the index instead of sorting them all.
        qs = qs.filter(plan_year_id__in=list(PlanYear.objects.filter(plan_id=f.plan_id).values_list("pk", flat=True)))
    if f.name:
        qs = qs.filter(person__name__contains=f.name)
    if f.phone_hash:
        qs = qs.filter(person__phone_hash=f.phone_hash)
    if f.date_from:
        qs = qs.filter(declared_at__gte=_local_start(date.fromisoformat(f.date_from)))
    if f.date_to:
        qs = qs.filter(declared_at__lt=_local_start(date.fromisoformat(f.date_to) + timedelta(days=1)))
    # 待上传 claims have no 申报时间 yet: they come first, as on PostgreSQL's descending index.
    return qs.order_by(F("declared_at").desc(nulls_first=True), "-id")


def unit_plans(unit: Unit) -> list[Plan]:
    """参保项目 the unit has (had) coverage in, for the 理赔分析 select."""
    if not unit.is_approved:  # a registered 历史单位 sees its history only once 已通过 (SPEC §5.1)
        return []
    # One index probe per plan (there are a handful), not a DISTINCT over all of a large unit's coverage.
    has = Coverage.objects.filter(unit_id=unit.pk, plan_id=OuterRef("pk"))
    return list(Plan.objects.filter(Exists(has)).order_by("id"))


def claim_amount(claim: Claim) -> Decimal | None:
    """理赔金额 as the claim stands: 实付金额 once paid, else 核定金额, else 系统计算金额; none when 已驳回."""
    if claim.status == S.REJECTED:
        return None
    for value in (claim.paid_amount, claim.approved_amount, claim.computed_amount):
        if value is not None:
            return value
    return None


def claim_rows(page: Iterable[Claim]) -> list[dict[str, Any]]:
    """Table rows of one page of the unit's list (claims of which only the id is used): phone masked
    (SPEC §10). One query for the page's details."""
    ids = [c.pk for c in page]
    found = {c.pk: c for c in with_list_details(Claim.objects.filter(pk__in=ids))}
    claims = [found[pk] for pk in ids]
    return [{
        "number": c.number, "name": c.person.name, "phone": mask_phone(c.person.phone) if c.person.phone else "",
        "plan": c.plan_year.plan.name, "kind": c.get_kind_display(), "diagnosed_on": c.diagnosed_on,
        "diagnosis": c.diagnosis_name, "amount": claim_amount(c), "declared_at": c.declared_at,
        "completed_at": c.completed_at, "status": c.get_status_display(),
    } for c in claims]


def with_list_details(qs: QuerySet[Claim]) -> QuerySet[Claim]:
    return qs.select_related("person", "plan_year__plan").only(
        "number", "kind", "status", "diagnosed_on", "diagnosis_name", "computed_amount", "approved_amount",
        "paid_amount", "declared_at", "completed_at", "person__name", "person__phone", "plan_year__plan__name")


def _local(dt: datetime | None) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M:%S") if dt else ""


def export_rows(qs: QuerySet[Claim], chunk_size: int = 2000) -> Iterator[tuple[Any, ...]]:
    """The unit's 导出: one tuple per claim in EXPORT_COLUMNS order, masked like the page, streamed."""
    for c in with_list_details(qs).iterator(chunk_size=chunk_size):
        yield (c.number, c.person.name, mask_phone(c.person.phone) if c.person.phone else "", c.plan_year.plan.name,
               c.get_kind_display(), c.diagnosed_on, c.diagnosis_name, claim_amount(c), _local(c.declared_at),
               _local(c.completed_at), c.get_status_display())


# (header, xlsx kind, width) of the unit's 导出, in the page's column order.
EXPORT_COLUMNS = [
    (gettext_lazy("理赔编号"), "text", 20), (gettext_lazy("理赔人"), "text", 12), (gettext_lazy("手机号"), "text", 14),
    (gettext_lazy("参保项目"), "text", 12), (gettext_lazy("报销险种"), "text", 10), (gettext_lazy("确诊时间"), "date", 12),
    (gettext_lazy("疾病名称"), "text", 20), (gettext_lazy("理赔金额"), "money", 12), (gettext_lazy("申报时间"), "text", 20),
    (gettext_lazy("完成时间"), "text", 20), (gettext_lazy("状态"), "text", 10),
]


# ---------------------------------------------------------------------------------------------------
# Claim detail: 理赔进度, documents, the computation


@dataclass(frozen=True)
class ProgressRow:
    node: str  # label: 经办初审 …
    decision: str  # label: 同意 / 不同意 / 退回, "" for uploads
    actor: str  # 处理人: the staff username, 系统 for automatic steps
    at: datetime
    comment: str
    code: str  # the node code


def claim_progress(claim: Claim, *, staff: bool = False) -> list[ProgressRow]:
    """理赔进度 node by node. Units and members see the decisions (系统自动审核, 经办初审, 业务复核, 报告复核);
    staff also see uploads and payment steps."""
    events = ClaimEvent.objects.filter(claim=claim).order_by("at", "id")
    if not staff:
        events = events.filter(node__in=PROGRESS_NODES)
    rows = []
    for e in events:
        # The label kept with the entry: a staff username, a member's masked phone; none for the system.
        who = e.actor_label or _("系统")
        rows.append(ProgressRow(node=e.get_node_display(), decision=e.get_decision_display() if e.decision else "",
                                actor=who, at=e.at, comment=e.comment, code=e.node))
    return rows


@dataclass(frozen=True)
class DocumentRow:
    id: int
    group: str
    name: str
    is_image: bool
    is_current: bool
    uploaded_at: datetime
    uploaded_by: str


def claim_documents(claim: Claim) -> list[DocumentRow]:
    docs = ClaimDocument.objects.filter(claim=claim).select_related("file", "uploaded_by").order_by(
        "-is_current", "group", "uploaded_at", "id")
    return [DocumentRow(d.pk, group_label(d.group), d.file.original_name, d.file.content_type.startswith("image/"),
                        d.is_current, d.uploaded_at, d.uploaded_by.audit_label if d.uploaded_by else "")
            for d in docs]


def _yuan(value: Any) -> str:
    return f"{Decimal(str(value)):,.2f}"


def _pct(value: Any) -> str:
    return f"{(Decimal(str(value)) * 100).normalize():f}%"


def computation_lines(claim: Claim) -> list[str]:
    """系统计算金额 as readable lines, from the rule version and steps the claim stored when it was
    adjudicated (rules edited later never change them)."""
    c: dict[str, Any] = claim.computation or {}
    lines: list[str] = []
    if claim.kind == Claim.Kind.ACCIDENT and c.get("rule") == "accident":
        death = _yuan(c["death_amount"])
        if c.get("result") == Claim.AccidentResult.DEATH:
            lines.append(_("身故：给付金额 = 身故给付金额 {death} 元").format(death=death))
        else:
            lines.append(_("伤残 {grade} 级：{death} 元 × {ratio} = {base} 元").format(
                grade=c.get("grade"), death=death, ratio=_pct(c.get("ratio", "0")), base=_yuan(c["base_amount"])))
        if c.get("previously_paid"):
            lines.append(_("减去此次事故已给付的伤残互助金 {paid} 元：{base} − {paid} = {amount} 元").format(
                paid=_yuan(c["previously_paid"]), base=_yuan(c["base_amount"]), amount=_yuan(c["amount"])))
    elif c.get("formula"):
        lines.extend(str(line) for line in (c["formula"] if isinstance(c["formula"], list) else [c["formula"]]))
    elif c.get("steps"):
        for step in c["steps"]:
            if isinstance(step, dict):
                label = step.get("label") or step.get("name") or ""
                lines.append(f"{label}：{step.get('text') or step.get('value', '')}")
            else:
                lines.append(str(step))
    else:
        lines.extend(f"{k}：{v}" for k, v in c.items() if not isinstance(v, (dict, list)))
    lines.append(_("系统计算金额：{amount} 元").format(amount=_yuan(claim.computed_amount)))
    if claim.rule_version:
        lines.append(_("规则版本：{version}").format(version=claim.rule_version))
    return lines


def claim_card(claim: Claim) -> str:
    """银行卡号 as every claim detail shows it: `6228 **** **** 4171`."""
    return mask_card(claim.person.bank_card) if claim.person.bank_card else ""

