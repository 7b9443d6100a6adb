"""What each kind of export contains. A kind turns a job (owner, unit, stored filter) into columns, the
row count and a row stream, re-applying the owner's scope at run time: the job never widens access."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from zghz.accounts.models import User
from zghz.claims.selectors import EXPORT_COLUMNS, ClaimFilter, claims_of_unit
from zghz.claims.selectors import export_rows as claim_export_rows
from zghz.core.idcard import mask_card, mask_id, mask_phone
from zghz.coverage.selectors import RecordFilter, coverage_for_staff, coverage_of_unit, export_rows
from zghz.units.models import Unit

from .models import ExportJob
from .xlsx import DATE, MONEY, TEXT, Column

COVERAGE_UNIT = "coverage.unit"
COVERAGE_STAFF = "coverage.staff"
CLAIMS_UNIT = "claims.unit"

def _coverage_columns() -> list[Column]:
    return [
        Column(_("工单编号"), TEXT, 20), Column(_("姓名"), TEXT, 12), Column(_("居民身份证号"), TEXT, 22),
        Column(_("参保项目"), TEXT, 12), Column(_("保障开始日期"), DATE, 14), Column(_("保障结束日期"), DATE, 14),
        Column(_("参保金额"), MONEY, 12), Column(_("社保卡银行卡号"), TEXT, 24), Column(_("手机号"), TEXT, 14),
    ]


@dataclass(frozen=True)
class ExportSource:
    title: str  # sheet name and the start of the file name
    columns: list[Column]
    queryset: QuerySet[Any]  # for the row count
    rows: Callable[[], Iterator[Any]]


def _coverage_unit(job: ExportJob) -> ExportSource:
    # The unit's own people with full numbers: the unit needs them to renew (SPEC §10).
    unit = Unit.objects.filter(pk=job.unit_id, handler_id=job.owner_id).first() if job.unit_id else None
    if unit is None:
        raise Http404
    qs = coverage_of_unit(unit, RecordFilter.from_params(job.params))
    return ExportSource(_("参保记录"), _coverage_columns(), qs, lambda: export_rows(qs))


def _mask_staff_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    number, name, id_number, plan, start, end, premium, card, phone, unit_name, district = row
    return (number, name, mask_id(id_number) if id_number else "", plan, start, end, premium,
            mask_card(card) if card else "", mask_phone(phone) if phone else "", unit_name, district or "")


def _coverage_staff(job: ExportJob) -> ExportSource:
    # Back-office exports are for statistics and follow-up, not renewal: numbers stay masked.
    owner = User.objects.get(pk=job.owner_id)
    qs = coverage_for_staff(owner, RecordFilter.from_params(job.params))
    columns = [*_coverage_columns(), Column(_("参保单位"), TEXT, 30), Column(_("所属区局"), TEXT, 12)]
    return ExportSource(_("参保记录"), columns, qs,
                        lambda: map(_mask_staff_row, export_rows(qs, with_unit=True)))


def _claims_unit(job: ExportJob) -> ExportSource:
    # The unit's 理赔 list as the page shows it (phones masked: a claims list is not a renewal roster).
    unit = Unit.objects.filter(pk=job.unit_id, handler_id=job.owner_id).first() if job.unit_id else None
    if unit is None:
        raise Http404
    qs = claims_of_unit(unit, ClaimFilter.from_params(job.params))
    columns = [Column(str(header), kind, width) for header, kind, width in EXPORT_COLUMNS]
    return ExportSource(_("理赔记录"), columns, qs, lambda: claim_export_rows(qs))


KINDS: dict[str, Callable[[ExportJob], ExportSource]] = {
    COVERAGE_UNIT: _coverage_unit,
    COVERAGE_STAFF: _coverage_staff,
    CLAIMS_UNIT: _claims_unit,
}


def source_for(job: ExportJob) -> ExportSource:
    return KINDS[job.kind](job)
