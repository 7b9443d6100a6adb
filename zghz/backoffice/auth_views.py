"""Back-office login: 用户名 + 密码, then the 动态口令 (bound on first use), and 退出登录."""

import time
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from zghz.accounts.middleware import TIMED_OUT, mark_staff_active
from zghz.accounts.models import User
from zghz.accounts.policy import is_staff
from zghz.accounts.services import (
    staff_check_password,
    staff_check_totp,
    staff_logged_out,
    staff_login_succeeded,
    totp_provision,
    totp_uri,
)
from zghz.core.errors import DomainError
from zghz.core.forms import form_error

from .forms import StaffLoginForm, TotpForm

# Between the password and the 动态口令 the session holds who passed the first factor, not a login.
PENDING = "staff_pending"
PENDING_SECONDS = 5 * 60
PENDING_EXPIRED = gettext_lazy("登录已过期，请重新输入用户名和密码")
TIMED_OUT_TEXT = gettext_lazy("登录已超时，请重新登录")


def _safe_next(request: HttpRequest, value: str | None) -> str:
    """Only back-office paths on this host; anything else falls back to the dashboard."""
    if value and value.startswith("/staff/") and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


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
            form_error(form, e)
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
        context["qr_svg"] = mark_safe(  # nosec B308 B703 # SVG generated by segno from our own otpauth URI
            segno.make(uri, error="m").svg_inline(scale=4, title=_("绑定二维码")))
        context["secret"] = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return render(request, "backoffice/totp.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if is_staff(request.user):
        staff_logged_out(user=request.user)
    logout(request)
    messages.success(request, _("已退出登录"))
    return redirect("backoffice:login")
