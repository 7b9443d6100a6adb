"""注册, 登录 and 退出 of the member H5, and its home page (参保记录 / 理赔记录)."""

from typing import cast
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.accounts.models import User
from zghz.accounts.services import phone_logout
from zghz.core.errors import DomainError
from zghz.core.forms import form_error
from zghz.core.middleware import client_ip
from zghz.members.agreements import current_all
from zghz.members.models import Person
from zghz.members.registration import (
    PORTAL,
    member_code_send,
    member_login,
    member_register,
    member_ticket_login,
    proven_phone,
)

from .access import is_member, member_view
from .forms import LoginForm, RegisterForm, SmsCodeForm

# The same answer whether or not the phone is registered (SPEC §2).
CODE_SENT = gettext_lazy("验证码已发送，请注意查收短信（5 分钟内有效）")
BACKEND = "django.contrib.auth.backends.ModelBackend"
# A host app's proof of the phone of somebody who is not registered yet (see ticket_view).
SESSION_PROOF = "member_phone_proof"


def next_url(request: HttpRequest) -> str:
    """Where to go after logging in: the member page asked for (a short link from an SMS), else home."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/m/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                                    require_https=request.is_secure()):
        return target
    return "/m/"


def log_in(request: HttpRequest, user: User) -> HttpResponse:
    login(request, user, backend=BACKEND)
    return redirect(next_url(request))


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and is_member(request):
        return redirect(next_url(request))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = member_login(phone=form.cleaned_data["phone"], code=form.cleaned_data["code"], ip=client_ip(request))
        except DomainError as e:
            form_error(form, e)
        else:
            return log_in(request, user)
    return render(request, "mobile/login.html", {"form": form, "next": next_url(request)})


@require_http_methods(["GET", "POST"])
def register_view(request: HttpRequest) -> HttpResponse:
    proof = request.session.get(SESSION_PROOF, "")
    verified_phone = proven_phone(proof) if proof else ""
    form = RegisterForm(request.POST or None, initial={"phone": verified_phone})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = member_register(name=data["name"], id_number=data["id_number"], phone=data["phone"],
                                   code=data["code"], accept_privacy=data["accept_privacy"],
                                   accept_service=data["accept_service"], ip=client_ip(request), phone_proof=proof)
        except DomainError as e:
            form_error(form, e)
        else:
            request.session.pop(SESSION_PROOF, None)
            return log_in(request, user)
    return render(request, "mobile/register.html", {"form": form, "agreements": current_all(),
                                                    "next": next_url(request), "verified_phone": verified_phone})


@require_POST
def sms_code(request: HttpRequest) -> HttpResponse:
    form = SmsCodeForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"ok": False, "message": _("请填写正确手机号")}, status=400)
    try:
        member_code_send(phone=form.cleaned_data["phone"], purpose=form.cleaned_data["purpose"], ip=client_ip(request))
    except DomainError as e:
        return JsonResponse({"ok": False, "message": e.message, "code": e.code}, status=e.status)
    return JsonResponse({"ok": True, "message": str(CODE_SENT)})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        phone_logout(user=cast(User, request.user), ip=client_ip(request), portal=PORTAL)
    logout(request)
    return redirect("mobile:login")


@member_view
@require_GET
def home(request: AuthenticatedHttpRequest, person: Person) -> HttpResponse:
    return render(request, "mobile/home.html", {"person": person})


@require_GET
def ticket_view(request: HttpRequest) -> HttpResponse:
    """A host app opens the H5 here with a signed ticket instead of an SMS code (see zghz/hostapps)."""
    q = request.GET
    try:
        signed_in = member_ticket_login(app_code=q.get("app", ""), phone=q.get("phone", ""), ts=q.get("ts", ""),
                                   nonce=q.get("nonce", ""), signature=q.get("sig", ""), ip=client_ip(request))
    except DomainError as e:
        messages.error(request, e.message)
        return redirect("mobile:login")
    if signed_in.user is None:
        # The app vouched for the phone: 注册 needs no SMS code for it (for the proof's 10 minutes).
        request.session[SESSION_PROOF] = signed_in.phone_proof
        messages.info(request, _("您的手机号已验证，请填写姓名和身份证号完成注册"))
        return redirect(f"/m/register/?next={quote(next_url(request))}")
    return log_in(request, signed_in.user)
