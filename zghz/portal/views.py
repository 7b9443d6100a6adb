from typing import Any, cast

from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.accounts.models import User
from zghz.accounts.services import phone_login, phone_login_account, phone_logout
from zghz.core.errors import DomainError
from zghz.core.forms import form_error
from zghz.core.idcard import mask_id, mask_phone
from zghz.core.middleware import client_ip
from zghz.files.views import file_response
from zghz.sms.services import code_send
from zghz.units.models import Unit
from zghz.units.policy import unit_actions
from zghz.units.selectors import units_of_handler
from zghz.units.services import (
    unit_missing_fields,
    unit_pledge_confirm,
    unit_pledge_open,
    unit_profile_save,
    unit_register,
)

from .access import SESSION_UNIT, SESSION_UNIT_CHOICES, handler_view, is_handler
from .forms import LoginForm, ProfileForm, RegisterForm, SmsCodeForm
from .held_uploads import HeldFiles

# Same answer whether or not the phone is registered (SPEC §2).
CODE_SENT = gettext_lazy("验证码已发送，请注意查收短信（5 分钟内有效）")


def _json_error(e: DomainError) -> JsonResponse:
    return JsonResponse({"ok": False, "message": e.message, "code": e.code}, status=e.status)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    unit = None
    if is_handler(request) and request.session.get(SESSION_UNIT):
        unit = units_of_handler(request.user).filter(pk=request.session[SESSION_UNIT]).first()
    return render(request, "portal/home.html", {"unit": unit, "nav": "home"})


def _has_units(user: User) -> bool:
    """A handler logs in to the unit portal only while some unit names them."""
    return units_of_handler(user).exists()


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    login_form = LoginForm(request.POST or None, prefix="login")
    register_form = RegisterForm(prefix="register")
    if request.method == "POST" and login_form.is_valid():
        try:
            user = phone_login(kind=User.Kind.HANDLER, phone=login_form.cleaned_data["phone"].strip(),
                               code=login_form.cleaned_data["code"], purpose="unit_login", portal="unit",
                               ip=client_ip(request), may_log_in=_has_units)
        except DomainError as e:
            form_error(login_form, e)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("portal:choose_unit")
    return render(request, "portal/login.html", {"login_form": login_form, "register_form": register_form,
                                                 "tab": "login"})


@require_POST
def register_view(request: HttpRequest) -> HttpResponse:
    form = RegisterForm(request.POST, prefix="register")
    needs_confirm = False
    if form.is_valid():
        data = form.cleaned_data
        try:
            unit = unit_register(credit_code=data["credit_code"], name=data["name"], phone=data["phone"].strip(),
                                 code=data["code"], ip=client_ip(request),
                                 accept_check_digit=data["accept_check_digit"])
        except DomainError as e:
            needs_confirm = e.code == "credit_code_check_digit"
            form_error(form, e)
        else:
            login(request, unit.handler, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SESSION_UNIT] = unit.pk
            messages.success(request, _("注册成功。请在右上角“单位信息”中完善单位信息并提交审核。"))
            return redirect("portal:profile")
    return render(request, "portal/login.html", {"login_form": LoginForm(prefix="login"), "register_form": form,
                                                 "tab": "register", "needs_confirm": needs_confirm})


@require_POST
def sms_code(request: HttpRequest) -> HttpResponse:
    form = SmsCodeForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"ok": False, "message": _("请填写正确手机号")}, status=400)
    phone, purpose = form.cleaned_data["phone"].strip(), form.cleaned_data["purpose"]
    deliver = True
    if purpose == "unit_login":
        deliver = phone_login_account(kind=User.Kind.HANDLER, phone=phone, may_log_in=_has_units) is not None
    try:
        code_send(phone=phone, purpose=purpose, ip=client_ip(request), deliver=deliver)
    except DomainError as e:
        return _json_error(e)
    return JsonResponse({"ok": True, "message": str(CODE_SENT)})


@require_http_methods(["GET", "POST"])
def choose_unit(request: HttpRequest) -> HttpResponse:
    if not is_handler(request):
        return redirect("portal:login")
    units = list(units_of_handler(request.user))
    # The header offers 切换单位 while the session lasts; switching needs no new SMS code.
    request.session[SESSION_UNIT_CHOICES] = len(units)
    if request.method == "POST":
        chosen = next((u for u in units if str(u.pk) == request.POST.get("unit")), None)
        if chosen is None:
            raise Http404
        request.session[SESSION_UNIT] = chosen.pk
        return redirect("portal:home")
    if len(units) == 1:
        request.session[SESSION_UNIT] = units[0].pk
        return redirect("portal:home")
    current = next((u for u in units if u.pk == request.session.get(SESSION_UNIT)), None)
    return render(request, "portal/choose_unit.html", {
        "units": units, "current": current, "masked_phone": mask_phone(request.user.phone or "")})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        phone_logout(user=cast(User, request.user), ip=client_ip(request), portal="unit")
    logout(request)
    return redirect("portal:login")


def _profile_context(request: AuthenticatedHttpRequest, unit: Unit, form: ProfileForm) -> dict[str, Any]:
    return {
        "unit": unit,
        "actions": unit_actions(request.user, unit),
        "form": form,
        "nav": "profile",
        "masked_id": mask_id(unit.handler_id_number) if unit.handler_id_number else "",
        "events": unit.review_events.all(),
        "missing": unit_missing_fields(unit),
    }


@handler_view
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedHttpRequest, unit: Unit) -> HttpResponse:
    initial = {"district": unit.district_id, "medical_code": unit.medical_code, "handler_name": unit.handler_name,
               "certificate_kind": unit.certificate_kind or Unit.CertificateKind.UNION}
    uploads = HeldFiles(request, unit, ("certificate",)) if request.method == "POST" else None
    form = ProfileForm(request.POST or None, uploads.form_files if uploads else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        submit = request.POST.get("action") == "submit"
        try:
            unit_profile_save(
                unit=unit, actor=request.user,
                district_id=data["district"].pk if data["district"] else None,
                medical_code=data["medical_code"], handler_name=data["handler_name"],
                # An empty ID field keeps the saved number (the page only shows it masked).
                handler_id_number=data["handler_id_number"] or unit.handler_id_number,
                certificate_kind=data["certificate_kind"], certificate=data["certificate"], submit=submit,
            )
        except DomainError as e:
            form_error(form, e)
            unit.refresh_from_db()  # nothing was saved: show the unit as it is
        else:
            if uploads:
                uploads.release()
            messages.success(request, _("单位信息已提交，请等待后台审核，审核结果将以短信通知。") if submit
                             else _("单位信息已保存。"))
            return redirect("portal:profile")
    context = _profile_context(request, unit, form)
    # Nothing was saved: every typed value comes back, and an accepted certificate waits for the retry.
    context["held"] = uploads.keep(refused=form.errors) if uploads else {}
    return render(request, "portal/profile.html", context)


@handler_view
@require_POST
def pledge_open(request: AuthenticatedHttpRequest, unit: Unit) -> HttpResponse:
    try:
        unit_pledge_open(unit=unit, actor=request.user)
    except DomainError as e:
        return _json_error(e)
    return JsonResponse({"ok": True})


@handler_view
@require_POST
def pledge_confirm(request: AuthenticatedHttpRequest, unit: Unit) -> HttpResponse:
    try:
        unit_pledge_confirm(unit=unit, actor=request.user)
    except DomainError as e:
        return _json_error(e)
    return JsonResponse({"ok": True})


@handler_view
@require_GET
def certificate(request: AuthenticatedHttpRequest, unit: Unit) -> HttpResponse:
    if unit.certificate is None:
        raise Http404
    return file_response(unit.certificate, actor=request.user, unit=unit)


@handler_view
@require_GET
def coming_soon(request: AuthenticatedHttpRequest, unit: Unit, nav: str, title: str) -> HttpResponse:
    return render(request, "portal/coming_soon.html", {"unit": unit, "nav": nav, "title": title})
