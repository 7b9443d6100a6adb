"""参保项目 administration (SPEC §3): the list of plans and their years, a new plan, a new year, and the
edit of a year's terms. Benefit rules are edited as ordinary fields; ratios are shown in per cent."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.accounts.policy import staff_can
from zghz.core.errors import DomainError
from zghz.coverage.selectors import coverage_counts_by_plan_year
from zghz.plans.models import PlanYear
from zghz.plans.rules import BenefitRules, RuleField, format_icd_codes, rule_fields, rules_flat
from zghz.plans.selectors import latest_plan_year, plan_for_staff, plan_year_for_staff, plans_with_years
from zghz.plans.services import PlanYearInvalid, PlanYearTerms, plan_create, plan_year_create, plan_year_update

from .access import staff_view

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise

MANAGE = "accounts.manage_system"


def _text(label: str | StrPromise, *, required: bool = True, help_text: str | StrPromise = "",
          max_length: int = 32) -> forms.CharField:
    # Numbers arrive as text: the plan services check them and answer in the scheme's own words.
    return forms.CharField(label=label, required=required, max_length=max_length, help_text=help_text,
                           error_messages={"required": format_lazy(gettext_lazy("请填写{label}"), label=label)})


class PlanForm(forms.Form):
    code = _text(gettext_lazy("项目代码"), help_text=gettext_lazy("大写字母、数字或下划线，如 SHY"))
    name = _text(gettext_lazy("参保项目"), max_length=64)


_RULE_HELP: dict[str, Any] = {
    "hospital.manual_review_at": gettext_lazy("单次住院给付达到或超过此金额时转经办初审，不自动通过"),
    "critical_illness.icd_prefixes": gettext_lazy("以顿号、逗号或空格分隔；诊断编码以其中任一编码开头即属重疾。可写范围，如 C00-C97"),
    "critical_illness.icd_exclusions": gettext_lazy("以其中任一编码开头的诊断不属重疾，如 C44；不填表示没有除外"),
}


def rule_field_name(path: str) -> str:
    """The form field of a benefit-rule path: hospital.ratio -> hospital_ratio."""
    return path.replace(".", "_")


def _rule_form_field(rf: RuleField) -> forms.Field:
    help_text = _RULE_HELP.get(rf.path, "")
    if rf.kind == "codes":
        required = rf.path == "critical_illness.icd_prefixes"
        return forms.CharField(
            label=rf.label, max_length=4000, required=required, help_text=help_text,
            widget=forms.Textarea(attrs={"rows": 4 if required else 2}),
            error_messages={"required": format_lazy(gettext_lazy("请填写{label}"), label=rf.label)},
        )
    unit = gettext_lazy("（元）") if rf.kind == "money" else gettext_lazy("（%）")
    field = _text(format_lazy("{}{}", rf.label, unit), help_text=help_text)
    field.error_messages["required"] = format_lazy(gettext_lazy("请填写{label}"), label=rf.label)
    return field


class PlanYearForm(forms.Form):
    """A plan year's terms; the benefit-rule fields come from plans/rules.py, one per rule leaf."""

    year = _text(gettext_lazy("年度"), max_length=4)
    premium = _text(gettext_lazy("每人保费（元）"))
    term_months = _text(gettext_lazy("保障期限（月）"))
    min_age = _text(gettext_lazy("最低参保年龄"))
    max_age = _text(gettext_lazy("最高参保年龄"))
    waiting_days = _text(gettext_lazy("首次参保等待期（天）"), help_text=gettext_lazy("疾病类给付的等待期；意外无等待期，连续续保无等待期"))
    min_participation = _text(gettext_lazy("最低参保比例（%）"), required=False, help_text=gettext_lazy("不填表示不限"))
    small_unit_threshold = _text(gettext_lazy("小单位人数标准（人）"), required=False,
                                 help_text=gettext_lazy("职工人数少于此数的单位须全员参保；不填表示不限"))
    confirm_new_version = forms.BooleanField(label=gettext_lazy("确认生成新版本"), required=False)

    def __init__(self, *args: Any, with_year: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rule_fields = list(rule_fields())
        for rf in self.rule_fields:
            self.fields[rule_field_name(rf.path)] = _rule_form_field(rf)
        if not with_year:
            del self.fields["year"]

    @property
    def sections(self) -> dict[str, list[forms.BoundField]]:
        """The benefit-rule fields by section (hospital, critical_illness, accident), for the page."""
        out: dict[str, list[forms.BoundField]] = {}
        for rf in self.rule_fields:
            out.setdefault(rf.path.split(".")[0], []).append(self[rule_field_name(rf.path)])
        return out

    def terms(self) -> PlanYearTerms:
        d = self.cleaned_data
        rules: dict[str, Any] = {}
        for rf in self.rule_fields:
            value = d[rule_field_name(rf.path)]
            *parents, leaf = rf.path.split(".")
            node = rules
            for key in parents:
                node = node.setdefault(key, {})
            node[leaf] = _fraction(value) if rf.kind == "ratio" else value
        participation = d["min_participation"].strip()
        return PlanYearTerms(
            premium=d["premium"], term_months=d["term_months"], min_age=d["min_age"], max_age=d["max_age"],
            waiting_days=d["waiting_days"], min_participation=_fraction(participation) if participation else None,
            small_unit_threshold=d["small_unit_threshold"].strip() or None, benefit_rules=rules,
        )


def _fraction(percent: str) -> Any:
    """"50" (per cent as typed) -> Decimal("0.5"); anything unreadable goes on as typed for the service
    to reject with its message."""
    try:
        return Decimal(percent.strip().rstrip("%").strip()) / 100
    except (InvalidOperation, ValueError):
        return percent


def _percent(fraction: Any) -> str:
    if fraction is None or fraction == "":
        return ""
    value = (Decimal(str(fraction)) * 100).normalize()
    return f"{value:f}"


def initial_from(plan_year: PlanYear | None, *, year: int | None = None) -> dict[str, Any]:
    """Form values from an existing row (or the defaults), ratios as per cent."""
    initial: dict[str, Any] = {
        "year": year if year is not None else (plan_year.year if plan_year else ""),
        "premium": plan_year.premium if plan_year else "60.00",
        "term_months": plan_year.term_months if plan_year else 12,
        "min_age": plan_year.min_age if plan_year else 16,
        "max_age": plan_year.max_age if plan_year else 60,
        "waiting_days": plan_year.waiting_days if plan_year else 90,
        "min_participation": _percent(plan_year.min_participation) if plan_year else "",
        "small_unit_threshold": (plan_year.small_unit_threshold or "") if plan_year else "",
    }
    rules = plan_year.rules if plan_year else BenefitRules()
    kinds = {rf.path: rf.kind for rf in rule_fields()}
    for path, value in rules_flat(rules).items():
        kind = kinds[path]
        initial[rule_field_name(path)] = (format_icd_codes(value) if kind == "codes"
                                          else _percent(value) if kind == "ratio" else str(value))
    return initial


def _apply_errors(form: forms.Form, e: DomainError) -> None:
    errors = e.errors if isinstance(e, PlanYearInvalid) else {e.field or "": e.message}
    for key, message in errors.items():
        field = rule_field_name(key)
        form.add_error(field if field in form.fields else None, message)



@staff_view()
@require_GET
def plans(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    plans = plans_with_years(user)
    counts = coverage_counts_by_plan_year(py.pk for plan in plans for py in plan.years.all())
    for plan in plans:
        for py in plan.years.all():
            py.coverage_count = counts.get(py.pk, 0)  # type: ignore[attr-defined]
    return render(request, "backoffice/plans/list.html", {
        "nav": "plans", "plans": plans, "can_manage": staff_can(user, MANAGE, write=True),
    })


@staff_view(MANAGE, write=True)
@require_http_methods(["GET", "POST"])
def plan_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = plan_create(actor=request.user, code=form.cleaned_data["code"], name=form.cleaned_data["name"])
        except DomainError as e:
            _apply_errors(form, e)
        else:
            messages.success(request, _("已新增参保项目“{name}”，请继续新增年度。").format(name=plan.name))
            return redirect("backoffice:plan_year_new", plan_id=plan.pk)
    return render(request, "backoffice/plans/plan_form.html", {"nav": "plans", "form": form},
                  status=400 if form.errors else 200)


@staff_view(MANAGE, write=True)
@require_http_methods(["GET", "POST"])
def plan_year_new(request: AuthenticatedHttpRequest, plan_id: int) -> HttpResponse:
    plan = plan_for_staff(request.user, plan_id)
    previous = latest_plan_year(plan)
    form = PlanYearForm(request.POST or None,
                        initial=initial_from(previous, year=(previous.year + 1) if previous else None))
    if request.method == "POST" and form.is_valid():
        try:
            plan_year = plan_year_create(actor=request.user, plan=plan, year=form.cleaned_data["year"],
                                         terms=form.terms())
        except DomainError as e:
            _apply_errors(form, e)
        else:
            messages.success(request, _("已新增 {name} {year} 年度。").format(name=plan.name, year=plan_year.year))
            return redirect("backoffice:plans")
    return render(request, "backoffice/plans/year_form.html", {
        "nav": "plans", "form": form, "plan": plan, "previous": previous, "creating": True,
    }, status=400 if form.errors else 200)


@staff_view(MANAGE, write=True)
@require_http_methods(["GET", "POST"])
def plan_year_edit(request: AuthenticatedHttpRequest, plan_year_id: int) -> HttpResponse:
    plan_year = plan_year_for_staff(request.user, plan_year_id)
    form = PlanYearForm(request.POST or None, initial=initial_from(plan_year), with_year=False)
    needs_confirmation = ""
    if request.method == "POST" and form.is_valid():
        try:
            result = plan_year_update(actor=request.user, plan_year=plan_year, terms=form.terms(),
                                      confirm_new_version=form.cleaned_data["confirm_new_version"])
        except DomainError as e:
            if e.code == "needs_confirmation":
                needs_confirmation = e.message
            else:
                _apply_errors(form, e)
        else:
            name = _("{name} {year} 年度").format(name=plan_year.plan.name, year=plan_year.year)
            if result.new_version:
                messages.success(request, _("已生成{name}第 {version} 版并设为当前版本；已参保人员仍按原版本执行。").format(name=name, version=result.plan_year.version))
            elif result.changed:
                messages.success(request, _("已保存{name}。").format(name=name))
            else:
                messages.info(request, _("内容没有变化，未作修改。"))
            return redirect("backoffice:plans")
    status = 400 if form.errors else 200
    return render(request, "backoffice/plans/year_form.html", {
        "nav": "plans", "form": form, "plan": plan_year.plan, "plan_year": plan_year, "creating": False,
        "needs_confirmation": needs_confirmation,
    }, status=status)
