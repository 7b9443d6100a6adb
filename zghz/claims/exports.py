"""The 理赔记录 导出 kind of the unit portal's 理赔分析 (registered in claims/registry.py); it re-applies the
owner's scope at run time: the job never widens access."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _

from zghz.exports.models import ExportJob
from zghz.exports.registry import ExportSource
from zghz.exports.xlsx import Column
from zghz.units.models import Unit

from .selectors import EXPORT_COLUMNS, ClaimFilter, claims_of_unit
from .selectors import export_rows as claim_export_rows

CLAIMS_UNIT = "claims.unit"


def claims_unit_export(job: ExportJob) -> ExportSource:
    # The unit's 理赔 list as the page shows it (phones masked: a claims list is not a renewal roster).
    unit = Unit.objects.filter(pk=job.unit_id, handler_id=job.owner_id).first() if job.unit_id else None
    if unit is None:
        raise Http404
    qs = claims_of_unit(unit, ClaimFilter.from_params(job.params))
    columns = [Column(str(header), kind, width) for header, kind, width in EXPORT_COLUMNS]
    return ExportSource(_("理赔记录"), columns, qs, lambda: claim_export_rows(qs))
