"""The 参保记录 导出 kinds (registered in coverage/registry.py): the unit's own people with full numbers,
and the back office's masked, district-scoped list. Each re-applies the owner's scope at run time: the
job never widens access."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _

from zghz.accounts.models import User
from zghz.core.idcard import mask_card, mask_id, mask_phone
from zghz.exports.models import ExportJob
from zghz.exports.registry import ExportSource
from zghz.exports.xlsx import DATE, MONEY, TEXT, Column
from zghz.units.models import Unit

from .selectors import RecordFilter, coverage_for_staff, coverage_of_unit, export_rows

COVERAGE_UNIT = "coverage.unit"
COVERAGE_STAFF = "coverage.staff"


def _coverage_columns() -> list[Column]:
    return [
        Column(_("工单编号"), TEXT, 20), Column(_("姓名"), TEXT, 12), Column(_("居民身份证号"), TEXT, 22),
        Column(_("参保项目"), TEXT, 12), Column(_("保障开始日期"), DATE, 14), Column(_("保障结束日期"), DATE, 14),
        Column(_("参保金额"), MONEY, 12), Column(_("社保卡银行卡号"), TEXT, 24), Column(_("手机号"), TEXT, 14),
    ]


def coverage_unit_export(job: ExportJob) -> ExportSource:
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


def coverage_staff_export(job: ExportJob) -> ExportSource:
    # Back-office exports are for statistics and follow-up, not renewal: numbers stay masked.
    owner = User.objects.get(pk=job.owner_id)
    qs = coverage_for_staff(owner, RecordFilter.from_params(job.params))
    columns = [*_coverage_columns(), Column(_("参保单位"), TEXT, 30), Column(_("所属区局"), TEXT, 12)]
    return ExportSource(_("参保记录"), columns, qs,
                        lambda: map(_mask_staff_row, export_rows(qs, with_unit=True)))
