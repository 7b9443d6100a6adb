"""审计日志 and 短信记录: read-only lists for the roles that may see them."""

from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.audit.selectors import audit_action_label, audit_object_labels, audit_result_label, audit_search
from zghz.core.idcard import mask_phone
from zghz.core.pagination import paginate
from zghz.exports.audit_log import AUDIT_LOG, audit_filter_params
from zghz.exports.services import export_start
from zghz.sms.selectors import sms_display_text, sms_purpose_label, sms_search

from .access import staff_view
from .export_pages import export_download, export_job_page
from .forms import AuditFilterForm, SmsFilterForm

AUDIT_PER_PAGE = 50
SMS_PER_PAGE = 50


# --- audit log -----------------------------------------------------------------------------------------

@staff_view("accounts.view_audit")
@require_GET
def audit_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        qs, export_filter = audit_search().none(), None
    else:
        values = _form_values(form)
        qs, export_filter = audit_search(**values), audit_filter_params(**values)
    page_obj = paginate(request, qs, AUDIT_PER_PAGE)
    objects = audit_object_labels(page_obj)
    rows = [(e, audit_action_label(e.action), objects[e.pk], audit_result_label(e.result)) for e in page_obj]
    return render(request, "backoffice/audit_list.html", {
        "nav": "audit", "form": form, "page_obj": page_obj, "rows": rows,
        "export_filter": export_filter,
    })


def _form_values(form: AuditFilterForm) -> dict[str, Any]:
    """The filter as audit_search takes it (nothing for the unfiltered first visit)."""
    if not form.is_bound:
        return {}
    data = form.cleaned_data
    return {"person": (data.get("person") or "").strip(), "unit": (data.get("unit") or "").strip(),
            "action": data.get("action") or "", "date_from": data.get("date_from"), "date_to": data.get("date_to")}


@staff_view("accounts.view_audit")
@require_POST
def audit_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """导出 the log as the list shows it (the same filter), for an auditor: a background xlsx export."""
    form = AuditFilterForm(request.POST)
    if not form.is_valid():
        return redirect("backoffice:audit")
    params = audit_filter_params(**_form_values(form))
    job = export_start(kind=AUDIT_LOG, owner=request.user, params=params)
    return redirect("backoffice:audit_export_job", job_id=job.pk)


@staff_view("accounts.view_audit")
def audit_export_job(request: AuthenticatedHttpRequest, job_id: Any) -> HttpResponse:
    return export_job_page(request, job_id, nav="audit", templates="backoffice/audit")


@staff_view("accounts.view_audit")
def audit_export_download(request: AuthenticatedHttpRequest, job_id: Any) -> HttpResponse:
    return export_download(request, job_id)


# --- SMS records ---------------------------------------------------------------------------------------

@staff_view("accounts.view_sms")
@require_GET
def sms_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = SmsFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        qs = sms_search().none()
    else:
        data = form.cleaned_data if form.is_bound else {}
        qs = sms_search(phone=data.get("phone") or "", purpose=data.get("purpose") or "",
                        status=data.get("status") or "")
    page_obj = paginate(request, qs, SMS_PER_PAGE)
    rows = [(m, mask_phone(m.phone), sms_purpose_label(m.purpose), sms_display_text(m)) for m in page_obj]
    return render(request, "backoffice/sms_list.html", {
        "nav": "sms", "form": form, "page_obj": page_obj, "rows": rows,
    })
