"""接入应用 (系统管理): the host apps that open the member H5 with signed tickets, and their keys. A key is
shown once, on the page that made it."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.core.errors import DomainError
from zghz.core.forms import form_error
from zghz.hostapps.selectors import host_app_by_id, host_app_list
from zghz.hostapps.services import IssuedKey, host_app_create, host_app_rotate_key, host_app_set_active

from .access import staff_view
from .forms import HostAppForm


def _page(request: AuthenticatedHttpRequest, form: HostAppForm | None = None, issued: IssuedKey | None = None,
          ) -> HttpResponse:
    return render(request, "backoffice/host_apps.html", {"nav": "host_apps", "apps": host_app_list(),
                                                          "form": form or HostAppForm(), "issued": issued})


@staff_view("accounts.manage_system", write=True)
@require_http_methods(["GET", "POST"])
def host_app_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request)
    form = HostAppForm(request.POST)
    if form.is_valid():
        try:
            issued = host_app_create(code=form.cleaned_data["code"], name=form.cleaned_data["name"], actor=request.user)
        except DomainError as e:
            form_error(form, e)
        else:
            return _page(request, issued=issued)
    return _page(request, form)


@staff_view("accounts.manage_system", write=True)
@require_POST
def host_app_rotate_view(request: AuthenticatedHttpRequest, host_app_id: int) -> HttpResponse:
    issued = host_app_rotate_key(app=host_app_by_id(host_app_id), actor=request.user)
    return _page(request, issued=issued)


@staff_view("accounts.manage_system", write=True)
@require_POST
def host_app_toggle_view(request: AuthenticatedHttpRequest, host_app_id: int) -> HttpResponse:
    active = request.POST.get("active") == "1"
    app = host_app_set_active(app=host_app_by_id(host_app_id), active=active, actor=request.user)
    messages.success(request, (_("已启用接入应用：{name}") if active else _("已停用接入应用：{name}")).format(name=app.name))
    return redirect("backoffice:host_apps")
