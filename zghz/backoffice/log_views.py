"""审计日志 and 短信记录: read-only lists for the roles that may see them."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.audit.selectors import audit_action_label, audit_object_labels, audit_result_label, audit_search
from zghz.core.idcard import mask_phone
from zghz.core.pagination import paginate
from zghz.sms.selectors import sms_display_text, sms_purpose_label, sms_search

from .access import staff_view
from .forms import AuditFilterForm, SmsFilterForm

AUDIT_PER_PAGE = 50
SMS_PER_PAGE = 50


# --- audit log -----------------------------------------------------------------------------------------

@staff_view("accounts.view_audit")
@require_GET
def audit_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        qs = audit_search().none()
    else:
        data = form.cleaned_data if form.is_bound else {}
        qs = audit_search(person=(data.get("person") or "").strip(), unit=(data.get("unit") or "").strip(),
                          action=data.get("action") or "", date_from=data.get("date_from"),
                          date_to=data.get("date_to"))
    page_obj = paginate(request, qs, AUDIT_PER_PAGE)
    objects = audit_object_labels(page_obj)
    rows = [(e, audit_action_label(e.action), objects[e.pk], audit_result_label(e.result)) for e in page_obj]
    return render(request, "backoffice/audit_list.html", {
        "nav": "audit", "form": form, "page_obj": page_obj, "rows": rows,
    })


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
