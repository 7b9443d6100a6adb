"""单位审核: the list, a unit's detail (ID masked, 查看完整号码 audited), its certificate, 通过 / 驳回
and 修改单位信息."""

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.core.errors import AlreadyProcessed, DomainError
from zghz.core.forms import form_error
from zghz.core.idcard import mask_id, mask_phone
from zghz.core.pagination import paginate
from zghz.files.views import file_response
from zghz.units.models import Unit
from zghz.units.policy import CHANGE_HANDLER, unit_actions, unit_require
from zghz.units.selectors import districts_for_staff, unit_for_staff, unit_handler_id_reveal, unit_search
from zghz.units.services import unit_handler_change, unit_review, unit_staff_edit

from .access import staff_view
from .forms import HandlerChangeForm, RejectForm, StaffUnitForm, UnitFilterForm

UNITS_PER_PAGE = 20


@staff_view()
@require_GET
def unit_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = UnitFilterForm(request.GET or None, districts=districts_for_staff(user))
    qs: QuerySet[Unit]
    if form.is_bound and not form.is_valid():
        qs = Unit.objects.none()
    else:
        data = form.cleaned_data if form.is_bound else {}
        district = data.get("district")
        qs = unit_search(user, status=data.get("status", ""), q=(data.get("q") or "").strip(),
                         district_id=district.pk if district else None)
    page_obj = paginate(request, qs, UNITS_PER_PAGE)
    rows = [(u, mask_phone(u.handler.phone) if u.handler and u.handler.phone else "", unit_actions(user, u)) for u in page_obj]
    return render(request, "backoffice/unit_list.html", {
        "nav": "units", "form": form, "page_obj": page_obj, "rows": rows,
    })


def _unit_context(request: AuthenticatedHttpRequest, unit: Unit, **extra: Any) -> dict[str, Any]:
    context = {
        "nav": "units",
        "unit": unit,
        "masked_id": mask_id(unit.handler_id_number) if unit.handler_id_number else "",
        "handler_phone": mask_phone(unit.handler.phone) if unit.handler and unit.handler.phone else "",
        "events": unit.review_events.all(),
        "actions": unit_actions(request.user, unit),
        "certificate_is_image": bool(unit.certificate and unit.certificate.content_type.startswith("image/")),
        "reject_form": RejectForm(),
    }
    context.update(extra)
    return context


@staff_view()
@require_GET
def unit_detail(request: AuthenticatedHttpRequest, unit_id: int) -> HttpResponse:
    unit = unit_for_staff(request.user, unit_id)
    return render(request, "backoffice/unit_detail.html", _unit_context(request, unit))


@staff_view("accounts.review_unit", write=True)
@require_POST
def unit_reveal_id(request: AuthenticatedHttpRequest, unit_id: int) -> HttpResponse:
    """查看完整号码: shows the handler's full ID number in this one answer (never stored) and audits it."""
    unit = unit_for_staff(request.user, unit_id)
    if not unit.handler_id_number:
        raise Http404
    full_id = unit_handler_id_reveal(request.user, unit)
    template = "backoffice/_unit_handler_id.html" if request.headers.get("HX-Request") else \
        "backoffice/unit_detail.html"
    response = render(request, template, _unit_context(request, unit, full_id=full_id))
    response["Cache-Control"] = "private, no-store"
    return response


@staff_view()
@require_GET
def unit_certificate(request: AuthenticatedHttpRequest, unit_id: int) -> HttpResponse:
    unit = unit_for_staff(request.user, unit_id)
    if unit.certificate is None:
        raise Http404
    return file_response(unit.certificate, actor=request.user, unit=unit, inline=True)


@staff_view("accounts.review_unit", write=True)
@require_POST
def unit_approve(request: AuthenticatedHttpRequest, unit_id: int) -> HttpResponse:
    unit = unit_for_staff(request.user, unit_id)
    try:
        unit_review(unit=unit, actor=request.user, approve=True)
    except AlreadyProcessed as e:
        messages.warning(request, e.message)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("审核通过，已短信通知单位经办人。"))
    return redirect("backoffice:unit_detail", unit_id=unit.pk)


@staff_view("accounts.review_unit", write=True)
@require_POST
def unit_reject(request: AuthenticatedHttpRequest, unit_id: int) -> HttpResponse:
    unit = unit_for_staff(request.user, unit_id)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            unit_review(unit=unit, actor=request.user, approve=False, reason=form.cleaned_data["reason"])
        except AlreadyProcessed as e:
            messages.warning(request, e.message)
            return redirect("backoffice:unit_detail", unit_id=unit.pk)
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("已驳回，已短信通知单位经办人修改后重新提交。"))
            return redirect("backoffice:unit_detail", unit_id=unit.pk)
    return render(request, "backoffice/unit_detail.html",
                  _unit_context(request, unit, reject_form=form))


@staff_view("accounts.edit_unit", write=True)
@require_http_methods(["GET", "POST"])
def unit_edit(request: AuthenticatedHttpRequest, unit_id: int) -> HttpResponse:
    user = request.user
    unit = unit_for_staff(user, unit_id)
    initial = {"name": unit.name, "district": unit.district_id, "medical_code": unit.medical_code,
               "handler_name": unit.handler_name,
               "certificate_kind": unit.certificate_kind or Unit.CertificateKind.UNION}
    form = StaffUnitForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            unit_staff_edit(
                unit=unit, actor=user, name=data["name"],
                district_id=data["district"].pk if data["district"] else None,
                medical_code=data["medical_code"], handler_name=data["handler_name"],
                # The page shows the number masked only; an empty field keeps the saved one.
                handler_id_number=data["handler_id_number"] or unit.handler_id_number,
                certificate_kind=data["certificate_kind"], certificate=data["certificate"],
            )
        except DomainError as e:
            form_error(form, e)
            unit.refresh_from_db()
        else:
            messages.success(request, _("单位信息已修改。"))
            return redirect("backoffice:unit_detail", unit_id=unit.pk)
    return render(request, "backoffice/unit_edit.html", {
        "nav": "units", "unit": unit, "form": form,
        "masked_id": mask_id(unit.handler_id_number) if unit.handler_id_number else "",
    })


@staff_view("accounts.change_handler", write=True)
@require_http_methods(["GET", "POST"])
def unit_handler_change_view(request: AuthenticatedHttpRequest, unit_id: int) -> HttpResponse:
    """变更经办人, at the unit's request (承诺书 item 五)."""
    unit = unit_for_staff(request.user, unit_id)
    try:
        unit_require(request.user, unit, CHANGE_HANDLER)
    except DomainError as e:
        messages.error(request, e.message)
        return redirect("backoffice:unit_detail", unit_id=unit.pk)
    form = HandlerChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            unit_handler_change(unit=unit, actor=request.user, **form.cleaned_data)
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("经办人已变更，已短信通知原经办人和新经办人。新经办人用新手机号和短信验证码登录。"))
            return redirect("backoffice:unit_detail", unit_id=unit.pk)
    return render(request, "backoffice/unit_handler_change.html", {
        "nav": "units", "unit": unit, "form": form,
        "handler_phone": mask_phone(unit.handler.phone) if unit.handler and unit.handler.phone else "",
    })
