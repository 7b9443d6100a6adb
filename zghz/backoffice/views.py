"""Back office (/staff/): staff login with a second factor, unit review, audit log, SMS records, districts.

Views stay thin: parse (form) -> permission-checked getter -> service -> render or redirect.
"""

import time
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zghz.accounts.middleware import TIMED_OUT, mark_staff_active
from zghz.accounts.models import User
from zghz.accounts.services import (
    staff_check_password,
    staff_check_totp,
    staff_logged_out,
    staff_login_succeeded,
    totp_provision,
    totp_uri,
)
from zghz.audit.selectors import audit_action_label, audit_object_label, audit_result_label, audit_search
from zghz.core.errors import AlreadyProcessed, DomainError
from zghz.core.idcard import mask_id, mask_phone
from zghz.files.views import file_response
from zghz.sms.selectors import sms_display_text, sms_purpose_label, sms_search
from zghz.units.models import District, Unit
from zghz.units.selectors import (
    district_list,
    districts_for_staff,
    unit_for_staff,
    unit_handler_id_reveal,
    unit_search,
    unit_status_counts,
)
from zghz.units.services import district_create, district_rename, district_set_active, unit_review, unit_staff_edit

from .access import is_read_only, is_staff, staff_view
from .forms import (
    AuditFilterForm,
    DistrictForm,
    RejectForm,
    SmsFilterForm,
    StaffLoginForm,
    StaffUnitForm,
    TotpForm,
    UnitFilterForm,
)

# Between the password and the 动态口令 the session holds who passed the first factor, not a login.
PENDING = "staff_pending"
PENDING_SECONDS = 5 * 60
PENDING_EXPIRED = gettext_lazy("登录已过期，请重新输入用户名和密码")
TIMED_OUT_TEXT = gettext_lazy("登录已超时，请重新登录")

UNITS_PER_PAGE = 20
AUDIT_PER_PAGE = 50
SMS_PER_PAGE = 50


# --- helpers -------------------------------------------------------------------------------------------

def _safe_next(request: HttpRequest, value: str | None) -> str:
    """Only back-office paths on this host; anything else falls back to the dashboard."""
    if value and value.startswith("/staff/") and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


def _page(request: HttpRequest, qs: QuerySet[Any], per_page: int) -> Page[Any]:
    """The requested page; a bad page number shows the nearest page."""
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


def _form_error(form: Any, e: DomainError) -> None:
    form.add_error(e.field if e.field in form.fields else None, e.message)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


# --- login ---------------------------------------------------------------------------------------------

def _complete_login(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    request.session.pop(PENDING, None)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    staff_login_succeeded(user=user)
    mark_staff_active(request)
    return redirect(next_url or "backoffice:dashboard")


def _login_page(request: HttpRequest, form: StaffLoginForm, *, next_url: str = "", status: int = 200,
                timed_out: bool = False, error: str = "") -> HttpResponse:
    return render(request, "backoffice/login.html",
                  {"form": form, "next": next_url, "timed_out": timed_out, "timed_out_text": TIMED_OUT_TEXT,
                   "error": error}, status=status)


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Step 1: 用户名 + 密码. Passing it does not log anyone in while the second factor is required."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if is_staff(request.user):
        return redirect(next_url or "backoffice:dashboard")
    timed_out = bool(request.session.pop(TIMED_OUT, False))
    form = StaffLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = staff_check_password(username=form.cleaned_data["username"].strip(),
                                        password=form.cleaned_data["password"])
        except DomainError as e:
            return _login_page(request, form, next_url=next_url, status=e.status if e.status == 429 else 200,
                               error=e.message)
        if not settings.STAFF_TOTP_REQUIRED:
            return _complete_login(request, user, next_url)
        # A new session key for the half-way state, so a planted session id learns nothing.
        request.session.cycle_key()
        request.session[PENDING] = {"user_id": user.pk, "at": int(time.time()), "next": next_url,
                                    "provisioned": False}
        return redirect("backoffice:totp")
    return _login_page(request, form, next_url=next_url, timed_out=timed_out)


def _pending_user(request: HttpRequest) -> User | None:
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if int(time.time()) - int(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None
    return User.objects.filter(pk=int(pending.get("user_id") or 0), kind=User.Kind.STAFF, is_active=True).first()


@require_http_methods(["GET", "POST"])
def totp_view(request: HttpRequest) -> HttpResponse:
    """Step 2: 动态口令. A staff member without a confirmed secret first binds one (QR code + secret)."""
    if not settings.STAFF_TOTP_REQUIRED:
        return redirect("backoffice:login")
    had_pending = PENDING in request.session
    user = _pending_user(request)
    if user is None:
        if had_pending:
            messages.error(request, PENDING_EXPIRED)
        return redirect("backoffice:login")
    pending = request.session[PENDING]
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            staff_check_totp(user=user, code=form.cleaned_data["code"])
        except DomainError as e:
            if e.code == "locked":
                request.session.pop(PENDING, None)
                return _login_page(request, StaffLoginForm(), status=e.status, error=e.message)
            _form_error(form, e)
        else:
            return _complete_login(request, user, pending.get("next", ""))
    enrolling = not user.totp_confirmed
    context: dict[str, Any] = {"form": form, "enrolling": enrolling}
    if enrolling:
        if not pending.get("provisioned") or not user.totp_secret:
            # Once per login attempt: reloading the page must not invalidate a secret just scanned.
            uri = totp_provision(user=user)
            pending["provisioned"] = True
            request.session.modified = True
        else:
            uri = totp_uri(user=user)
        secret = user.totp_secret
        context["qr_svg"] = mark_safe(segno.make(uri, error="m").svg_inline(scale=4, title=_("绑定二维码")))
        context["secret"] = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return render(request, "backoffice/totp.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if is_staff(request.user):
        staff_logged_out(user=_user(request))
    logout(request)
    messages.success(request, _("已退出登录"))
    return redirect("backoffice:login")


# --- dashboard -----------------------------------------------------------------------------------------

@staff_view()
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    counts = unit_status_counts(_user(request))
    return render(request, "backoffice/dashboard.html", {"nav": "dashboard", "counts": counts})


# --- units ---------------------------------------------------------------------------------------------

@staff_view()
@require_GET
def unit_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = UnitFilterForm(request.GET or None, districts=districts_for_staff(user))
    qs: QuerySet[Unit]
    if form.is_bound and not form.is_valid():
        qs = Unit.objects.none()
    else:
        data = form.cleaned_data if form.is_bound else {}
        district = data.get("district")
        qs = unit_search(user, status=data.get("status", ""), q=(data.get("q") or "").strip(),
                         district_id=district.pk if district else None)
    page_obj = _page(request, qs, UNITS_PER_PAGE)
    rows = [(u, mask_phone(u.handler.phone) if u.handler.phone else "") for u in page_obj]
    return render(request, "backoffice/unit_list.html", {
        "nav": "units", "form": form, "page_obj": page_obj, "rows": rows,
    })


def _unit_context(request: HttpRequest, unit: Unit, **extra: Any) -> dict[str, Any]:
    user = _user(request)
    writable = not is_read_only(user)
    pending = unit.status == Unit.Status.PENDING
    context = {
        "nav": "units",
        "unit": unit,
        "masked_id": mask_id(unit.handler_id_number) if unit.handler_id_number else "",
        "handler_phone": mask_phone(unit.handler.phone) if unit.handler.phone else "",
        "events": unit.review_events.all(),
        "can_review": writable and pending and user.has_perm("accounts.review_unit"),
        "can_edit": writable and user.has_perm("accounts.edit_unit"),
        "can_reveal": writable and user.has_perm("accounts.review_unit") and bool(unit.handler_id_number),
        "certificate_is_image": bool(unit.certificate and unit.certificate.content_type.startswith("image/")),
        "reject_form": RejectForm(),
    }
    context.update(extra)
    return context


@staff_view()
@require_GET
def unit_detail(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = unit_for_staff(_user(request), unit_id)
    return render(request, "backoffice/unit_detail.html", _unit_context(request, unit))


@staff_view("accounts.review_unit", write=True)
@require_POST
def unit_reveal_id(request: HttpRequest, unit_id: int) -> HttpResponse:
    """查看完整号码: shows the handler's full ID number in this one answer (never stored) and audits it."""
    unit = unit_for_staff(_user(request), unit_id)
    if not unit.handler_id_number:
        raise Http404
    full_id = unit_handler_id_reveal(_user(request), unit)
    template = "backoffice/_unit_handler_id.html" if request.headers.get("HX-Request") else \
        "backoffice/unit_detail.html"
    response = render(request, template, _unit_context(request, unit, full_id=full_id))
    response["Cache-Control"] = "private, no-store"
    return response


@staff_view()
@require_GET
def unit_certificate(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = unit_for_staff(_user(request), unit_id)
    if unit.certificate is None:
        raise Http404
    return file_response(unit.certificate, actor=request.user, unit=unit, inline=True)


@staff_view("accounts.review_unit", write=True)
@require_POST
def unit_approve(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = unit_for_staff(_user(request), unit_id)
    try:
        unit_review(unit=unit, actor=_user(request), approve=True)
    except AlreadyProcessed as e:
        messages.warning(request, e.message)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("审核通过，已短信通知单位经办人。"))
    return redirect("backoffice:unit_detail", unit_id=unit.pk)


@staff_view("accounts.review_unit", write=True)
@require_POST
def unit_reject(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = unit_for_staff(_user(request), unit_id)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            unit_review(unit=unit, actor=_user(request), approve=False, reason=form.cleaned_data["reason"])
        except AlreadyProcessed as e:
            messages.warning(request, e.message)
            return redirect("backoffice:unit_detail", unit_id=unit.pk)
        except DomainError as e:
            _form_error(form, e)
        else:
            messages.success(request, _("已驳回，已短信通知单位经办人修改后重新提交。"))
            return redirect("backoffice:unit_detail", unit_id=unit.pk)
    return render(request, "backoffice/unit_detail.html",
                  _unit_context(request, unit, reject_form=form))


@staff_view("accounts.edit_unit", write=True)
@require_http_methods(["GET", "POST"])
def unit_edit(request: HttpRequest, unit_id: int) -> HttpResponse:
    user = _user(request)
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
            _form_error(form, e)
            unit.refresh_from_db()
        else:
            messages.success(request, _("单位信息已修改。"))
            return redirect("backoffice:unit_detail", unit_id=unit.pk)
    return render(request, "backoffice/unit_edit.html", {
        "nav": "units", "unit": unit, "form": form,
        "masked_id": mask_id(unit.handler_id_number) if unit.handler_id_number else "",
    })


# --- audit log -----------------------------------------------------------------------------------------

@staff_view("accounts.view_audit")
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        qs = audit_search().none()
    else:
        data = form.cleaned_data if form.is_bound else {}
        qs = audit_search(person=(data.get("person") or "").strip(), unit=(data.get("unit") or "").strip(),
                          action=data.get("action") or "", date_from=data.get("date_from"),
                          date_to=data.get("date_to"))
    page_obj = _page(request, qs, AUDIT_PER_PAGE)
    rows = [(e, audit_action_label(e.action), audit_object_label(e), audit_result_label(e.result))
            for e in page_obj]
    return render(request, "backoffice/audit_list.html", {
        "nav": "audit", "form": form, "page_obj": page_obj, "rows": rows,
    })


# --- SMS records ---------------------------------------------------------------------------------------

@staff_view("accounts.view_sms")
@require_GET
def sms_list(request: HttpRequest) -> HttpResponse:
    form = SmsFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        qs = sms_search().none()
    else:
        data = form.cleaned_data if form.is_bound else {}
        qs = sms_search(phone=data.get("phone") or "", purpose=data.get("purpose") or "",
                        status=data.get("status") or "")
    page_obj = _page(request, qs, SMS_PER_PAGE)
    rows = [(m, mask_phone(m.phone), sms_purpose_label(m.purpose), sms_display_text(m)) for m in page_obj]
    return render(request, "backoffice/sms_list.html", {
        "nav": "sms", "form": form, "page_obj": page_obj, "rows": rows,
    })


# --- districts -----------------------------------------------------------------------------------------

def _districts_page(request: HttpRequest, form: DistrictForm | None = None, *, editing: int | None = None,
                    rename_form: DistrictForm | None = None) -> HttpResponse:
    return render(request, "backoffice/districts.html", {
        "nav": "districts", "districts": district_list(), "form": form or DistrictForm(),
        "editing": editing, "rename_form": rename_form,
    })


@staff_view("accounts.manage_system", write=True)
@require_http_methods(["GET", "POST"])
def district_list_view(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _districts_page(request)
    form = DistrictForm(request.POST)
    if form.is_valid():
        try:
            district = district_create(name=form.cleaned_data["name"], actor=_user(request))
        except DomainError as e:
            _form_error(form, e)
        else:
            messages.success(request, _("已新增区局：{name}").format(name=district.name))
            return redirect("backoffice:districts")
    return _districts_page(request, form)


@staff_view("accounts.manage_system", write=True)
@require_POST
def district_rename_view(request: HttpRequest, district_id: int) -> HttpResponse:
    district = get_object_or_404(District, pk=district_id)
    form = DistrictForm(request.POST)
    if form.is_valid():
        try:
            district_rename(district=district, name=form.cleaned_data["name"], actor=_user(request))
        except DomainError as e:
            _form_error(form, e)
        else:
            messages.success(request, _("区局名称已修改为：{name}").format(name=district.name))
            return redirect("backoffice:districts")
    return _districts_page(request, editing=district.pk, rename_form=form)


@staff_view("accounts.manage_system", write=True)
@require_POST
def district_toggle_view(request: HttpRequest, district_id: int) -> HttpResponse:
    district = get_object_or_404(District, pk=district_id)
    active = request.POST.get("active") == "1"
    district_set_active(district=district, active=active, actor=_user(request))
    messages.success(request, (_("已启用区局：{name}") if active else _("已停用区局：{name}")).format(name=district.name))
    return redirect("backoffice:districts")
