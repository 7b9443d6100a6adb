"""Reads of 参保记录 (SPEC §5, manual 四) for the unit portal, the back office and exports.

Scope is applied here and nowhere else: a unit sees only rows with its own `unit_id`; back-office staff
see every unit when they hold `accounts.view_all_districts`, a 区局 account only its own district, and
anyone else nothing. Every query below starts from one of the two scoped querysets.

Query plan at scale (3 million rows a year): a unit's page uses the (unit, end_date, start_date) index
(参保时间 is a range on both dates); a search by 居民身份证 goes through the unique blind index on the person, then coverage's person index; a search by
工单编号 through the index on coverage's own copy of the number. Nothing here reads enrolment's tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from django.db.models import Count, F, QuerySet
from django.utils import timezone

from zghz.accounts.models import User
from zghz.accounts.policy import sees_all_districts, staff_can, staff_district_id
from zghz.core.bulk import AnyOf, any_chunk_size, chunked
from zghz.core.crypto import blind_index
from zghz.core.idcard import mask_card, mask_id, mask_phone, normalise_id
from zghz.members.models import Person
from zghz.plans.models import Plan, PlanYear
from zghz.units.models import Unit

from .models import Coverage

ALL_YEARS = "all"


@dataclass(frozen=True)
class RecordFilter:
    """The 参保记录 query. Holds the ID number only as its blind index (and a masked form for the audit
    log), so a filter can be stored with an export job without putting a full number in the database."""

    number: str = ""
    id_hash: str = ""
    id_masked: str = ""
    plan_id: int | None = None
    year: int | None = None  # None: every year
    unit_q: str = ""  # back office: unit name (contains) or credit code (exact)
    district_id: int | None = None  # back office

    @classmethod
    def build(cls, *, number: str = "", id_number: str = "", plan_id: int | None = None,
              year: int | None = None, unit_q: str = "", district_id: int | None = None) -> RecordFilter:
        normalised = normalise_id(id_number).upper() if id_number.strip() else ""
        return cls(
            number=number.strip().upper(),
            id_hash=blind_index(normalised, purpose="id") if normalised else "",
            id_masked=mask_id(normalised) if normalised else "",
            plan_id=plan_id, year=year, unit_q=unit_q.strip(), district_id=district_id,
        )

    def as_params(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> RecordFilter:
        known = {k: params[k] for k in cls.__dataclass_fields__ if k in params}
        return cls(**known)

    def for_audit(self) -> dict[str, Any]:
        """What the audit log keeps about the query: the masked ID, never the hash."""
        out = {k: v for k, v in self.as_params().items() if v not in ("", None) and k != "id_hash"}
        return out


# ---------------------------------------------------------------------------------------------------
# What enrolment and plans ask of coverage


def latest_coverage_ends(*, plan_id: int, person_ids: Iterable[int], since: date) -> dict[int, date]:
    """person id -> the latest end date of their coverage of this plan ending on or after `since`."""
    latest: dict[int, date] = {}
    for chunk in chunked(list(person_ids), any_chunk_size()):
        rows = Coverage.objects.filter(AnyOf(F("person_id"), chunk), plan_id=plan_id, end_date__gte=since).order_by().values_list(
            "person_id", "end_date"
        )
        for person_id, end in rows:
            if person_id not in latest or end > latest[person_id]:
                latest[person_id] = end
    return latest


def latest_coverage_by_id_hash(*, plan_id: int, id_hashes: Iterable[str], since: date) -> dict[str, tuple[int, date]]:
    """ID blind index -> (coverage id, end date) of the person's latest coverage of this plan ending on or
    after `since`: the coverage a new enrolment would be checked against or continue. One query for a
    whole roster on PostgreSQL."""
    latest: dict[str, tuple[int, date]] = {}
    for chunk in chunked(sorted({h for h in id_hashes if h}), any_chunk_size()):
        rows = Coverage.objects.filter(AnyOf(F("person__id_hash"), chunk), plan_id=plan_id, end_date__gte=since).order_by().values_list(
            "person__id_hash", "id", "end_date"
        )
        for id_hash, cov_id, end in rows:
            if id_hash not in latest or end > latest[id_hash][1]:
                latest[id_hash] = (cov_id, end)
    return latest


def plan_year_has_coverage(plan_year_id: int) -> bool:
    return Coverage.objects.filter(plan_year_id=plan_year_id).exists()


def coverage_counts_by_plan_year(plan_year_ids: Iterable[int]) -> dict[int, int]:
    """plan year id -> how many coverages were made under it (plan years without any are left out)."""
    rows = (Coverage.objects.filter(plan_year_id__in=list(plan_year_ids)).order_by().values("plan_year_id")
            .annotate(n=Count("id")).values_list("plan_year_id", "n"))
    return dict(rows)


# ---------------------------------------------------------------------------------------------------
# 参保记录


def default_year() -> int:
    return timezone.localdate().year


def record_years() -> list[int]:
    """Years for the 参保时间 select: every plan year, plus last year, this year and the next (cover approved
    on 31 December, or a renewal, starts next year), newest first."""
    this_year = default_year()
    years = set(PlanYear.objects.order_by().values_list("year", flat=True).distinct())
    years.update({this_year - 1, this_year, this_year + 1})
    return sorted(years, reverse=True)


def _apply(qs: QuerySet[Coverage], f: RecordFilter) -> QuerySet[Coverage]:
    if f.number:
        qs = qs.filter(work_order_number=f.number)
    if f.id_hash:
        qs = qs.filter(person__id_hash=f.id_hash)
    if f.plan_id:
        qs = qs.filter(plan_id=f.plan_id)
    if f.year:
        # 参保时间 = the cover is in force on some day of the year: it starts by 31 December and ends on or
        # after 1 January (a cover from December to November shows in both years).
        qs = qs.filter(start_date__lte=date(f.year, 12, 31), end_date__gte=date(f.year, 1, 1))
    return qs


def coverage_of_unit(unit: Unit, f: RecordFilter) -> QuerySet[Coverage]:
    """The unit's own coverage matching `f` (staff-only criteria are ignored). Nothing until the unit is
    已通过: a 历史单位 someone has registered (SPEC §5.1) keeps its history hidden until the review passes
    (other units have no coverage before that anyway)."""
    if not unit.is_approved:
        return Coverage.objects.none()
    return _apply(Coverage.objects.filter(unit_id=unit.pk), f).order_by("-start_date", "-id")


def coverages_of_person(person: Person, *, plan_id: int | None = None, year: int | None = None) -> QuerySet[Coverage]:
    """The member's own coverage, newest first: of one 参保项目 and/or in force on some day of `year` (the
    same 参保时间 rule as the unit portal). A member sees their cover under every unit that enrolled them."""
    qs = _apply(Coverage.objects.filter(person_id=person.pk), RecordFilter(plan_id=plan_id, year=year))
    return qs.select_related("plan", "unit").order_by("-start_date", "-id")


def person_plans(person: Person) -> list[Plan]:
    """参保项目 the person has (had) coverage in, for the member's 参保项目 select."""
    ids = Coverage.objects.filter(person_id=person.pk).order_by().values("plan_id").distinct()
    return list(Plan.objects.filter(pk__in=ids).order_by("id"))


def person_years(person: Person) -> list[int]:
    """Years in which some coverage of the person is in force, newest first, for the 参保时间 select (the
    same rule as the filter: a cover from March to February shows in both years)."""
    years: set[int] = set()
    for start, end in Coverage.objects.filter(person_id=person.pk).order_by().values_list("start_date", "end_date"):
        years.update(range(start.year, end.year + 1))
    return sorted(years, reverse=True)


def coverage_visible_to_staff(user: User) -> QuerySet[Coverage]:
    if not staff_can(user):
        return Coverage.objects.none()
    if sees_all_districts(user):
        return Coverage.objects.all()
    district_id = staff_district_id(user)
    return Coverage.objects.filter(unit__district_id=district_id) if district_id is not None else Coverage.objects.none()


def coverage_for_staff(user: User, f: RecordFilter) -> QuerySet[Coverage]:
    qs = _apply(coverage_visible_to_staff(user), f)
    if f.district_id:
        qs = qs.filter(unit__district_id=f.district_id)
    if f.unit_q:
        units = Unit.objects.filter(name__icontains=f.unit_q) | Unit.objects.filter(credit_code=f.unit_q.upper())
        qs = qs.filter(unit_id__in=units.values("pk"))
    return qs.order_by("-start_date", "-id")


def page_ids(qs: QuerySet[Coverage]) -> QuerySet[Coverage]:
    """`qs` loading only the id (and the sort key, which the paginator adds), for the paginator: counting
    and picking a page touch only the coverage table, never the joins (with joins PostgreSQL would join
    every matching row, 5,000 for a large work order, before keeping 20). record_rows fetches the rest."""
    return qs.only("pk")


def with_details(ids: list[int], *, with_unit: bool = False) -> list[Coverage]:
    """The rows of one page with what the table shows, in the order of `ids`: one query."""
    related = ["person", "plan"]
    fields = ["work_order_number", "start_date", "end_date", "premium", "person__name", "person__id_number",
              "person__bank_card", "person__phone", "plan__name"]
    if with_unit:
        related += ["unit", "unit__district"]
        fields += ["unit__name", "unit__district__name"]
    if not ids:
        return []
    found = {c.pk: c for c in Coverage.objects.filter(pk__in=ids).select_related(*related).only(*fields)}
    return [found[i] for i in ids if i in found]


# The columns of the 参保记录 export (coverage/exports.py names them), in the page's order.
_EXPORT_FIELDS = ("work_order_number", "person__name", "person__id_number", "plan__name", "start_date",
                  "end_date", "premium", "person__bank_card", "person__phone")


def export_rows(qs: QuerySet[Coverage], *, with_unit: bool = False,
                chunk_size: int = 5000) -> Iterator[tuple[Any, ...]]:
    """Every row of `qs` as tuples in the export's column order, streamed from the database in chunks.

    Only the listed columns are fetched and only the three personal columns are decrypted (by their
    field's converter); no model instances are built. On PostgreSQL `.iterator()` uses a server-side
    cursor, so memory stays flat however many rows there are.
    """
    fields = _EXPORT_FIELDS + (("unit__name", "unit__district__name") if with_unit else ())
    return qs.order_by("-start_date", "-id").values_list(*fields).iterator(chunk_size=chunk_size)


def record_rows(page: Any, *, with_unit: bool = False) -> list[dict[str, Any]]:
    """The table's cells for one page of coverage ids: personal numbers masked (SPEC §10)."""
    rows = []
    c: Coverage
    for c in with_details([c.pk for c in page.object_list], with_unit=with_unit):
        person = c.person
        row = {
            "number": c.work_order_number, "name": person.name,
            "id_number": mask_id(person.id_number) if person.id_number else "",
            "plan": c.plan.name, "start": c.start_date, "end": c.end_date, "premium": c.premium,
            "card": mask_card(person.bank_card) if person.bank_card else "",
            "phone": mask_phone(person.phone) if person.phone else "",
        }
        if with_unit:
            row["unit"] = c.unit.name
            row["district"] = c.unit.district.name if c.unit.district else ""
        rows.append(row)
    return rows
