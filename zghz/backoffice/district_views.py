"""所属区局 (系统管理): add, rename, enable and disable the districts units choose from."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.core.errors import DomainError
from zghz.core.forms import form_error
from zghz.units.models import District
from zghz.units.selectors import district_list
from zghz.units.services import district_create, district_rename, district_set_active

from .access import staff_view
from .forms import DistrictForm


def _districts_page(request: AuthenticatedHttpRequest, form: DistrictForm | None = None, *, editing: int | None = None,
                    rename_form: DistrictForm | None = None) -> HttpResponse:
    return render(request, "backoffice/districts.html", {
        "nav": "districts", "districts": district_list(), "form": form or DistrictForm(),
        "editing": editing, "rename_form": rename_form,
    })


@staff_view("accounts.manage_system", write=True)
@require_http_methods(["GET", "POST"])
def district_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _districts_page(request)
    form = DistrictForm(request.POST)
    if form.is_valid():
        try:
            district = district_create(name=form.cleaned_data["name"], actor=request.user)
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("已新增区局：{name}").format(name=district.name))
            return redirect("backoffice:districts")
    return _districts_page(request, form)


@staff_view("accounts.manage_system", write=True)
@require_POST
def district_rename_view(request: AuthenticatedHttpRequest, district_id: int) -> HttpResponse:
    district = get_object_or_404(District, pk=district_id)
    form = DistrictForm(request.POST)
    if form.is_valid():
        try:
            district_rename(district=district, name=form.cleaned_data["name"], actor=request.user)
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("区局名称已修改为：{name}").format(name=district.name))
            return redirect("backoffice:districts")
    return _districts_page(request, editing=district.pk, rename_form=form)


@staff_view("accounts.manage_system", write=True)
@require_POST
def district_toggle_view(request: AuthenticatedHttpRequest, district_id: int) -> HttpResponse:
    district = get_object_or_404(District, pk=district_id)
    active = request.POST.get("active") == "1"
    district_set_active(district=district, active=active, actor=request.user)
    messages.success(request, (_("已启用区局：{name}") if active else _("已停用区局：{name}")).format(name=district.name))
    return redirect("backoffice:districts")
