"""账户管理 (系统管理): 管理员 lists, creates, resets, locks, unlocks and deactivates staff accounts. The
rules and audit rows are accounts.services'; these views only parse, fetch and call."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.accounts.models import User
from zghz.accounts.selectors import staff_account_get, staff_accounts
from zghz.accounts.services import (
    staff_create,
    staff_deactivate,
    staff_lock,
    staff_login_locked,
    staff_reset_password,
    staff_reset_totp,
    staff_unlock,
)
from zghz.core.errors import DomainError
from zghz.core.forms import form_error
from zghz.core.pagination import paginate

from .access import staff_view
from .staff_forms import StaffCreateForm, StaffPasswordForm

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise

MANAGE = "accounts.manage_system"
PER_PAGE = 50


@staff_view(MANAGE)
@require_GET
def staff_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    page_obj = paginate(request, staff_accounts(), PER_PAGE)
    rows = [(u, staff_login_locked(u)) for u in page_obj]
    return render(request, "backoffice/staff/list.html", {"nav": "staff", "page_obj": page_obj, "rows": rows})


@staff_view(MANAGE, write=True)
@require_http_methods(["GET", "POST"])
def staff_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = StaffCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = staff_create(**form.service_args(), actor=request.user)
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("已创建账户：{username}。首次登录时绑定动态口令。").format(username=user.username))
            return redirect("backoffice:staff_detail", user_id=user.pk)
    return render(request, "backoffice/staff/new.html", {"nav": "staff", "form": form})


def _detail_page(request: AuthenticatedHttpRequest, account: User, *,
                 password_form: StaffPasswordForm | None = None) -> HttpResponse:
    return render(request, "backoffice/staff/detail.html", {
        "nav": "staff", "account": account, "locked": staff_login_locked(account),
        "password_form": password_form or StaffPasswordForm(), "is_self": account.pk == request.user.pk,
    })


@staff_view(MANAGE)
@require_GET
def staff_detail(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    return _detail_page(request, staff_account_get(user_id))


@staff_view(MANAGE, write=True)
@require_POST
def staff_password(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    account = staff_account_get(user_id)
    form = StaffPasswordForm(request.POST)
    if form.is_valid():
        try:
            staff_reset_password(user=account, password=form.cleaned_data["password"], actor=request.user)
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("已重置 {username} 的密码，请当面或电话告知本人。").format(username=account.username))
            return redirect("backoffice:staff_detail", user_id=account.pk)
    return _detail_page(request, account, password_form=form)


def _action(service: Callable[..., None], done: "StrPromise") -> Callable[..., HttpResponse]:
    @staff_view(MANAGE, write=True)
    @require_POST
    def view(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
        account = staff_account_get(user_id)
        try:
            service(user=account, actor=request.user)
        except DomainError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, done.format(username=account.username))
        return redirect("backoffice:staff_detail", user_id=account.pk)

    view.__name__ = view.__qualname__ = service.__name__
    return view


staff_totp_reset = _action(staff_reset_totp, gettext_lazy("已重置 {username} 的动态口令，下次登录时重新绑定。"))
staff_lock_view = _action(staff_lock, gettext_lazy("已锁定账户：{username}"))
staff_unlock_view = _action(staff_unlock, gettext_lazy("已解锁账户：{username}"))
staff_deactivate_view = _action(staff_deactivate, gettext_lazy("已停用账户：{username}"))
