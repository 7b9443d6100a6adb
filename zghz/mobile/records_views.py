"""我的参保 and 我的理赔: the member's own coverage and claims, filtered by 参保项目 and 参保时间. The
selects refresh the list through htmx (one template serves the page and, for htmx, its list)."""

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.claims.selectors import claim_amount, claims_of_person
from zghz.coverage.selectors import coverages_of_person, person_plans, person_years
from zghz.members.models import Person

from .access import member_view
from .forms import RecordsFilter


def _filtered(request: AuthenticatedHttpRequest, person: Person) -> tuple[RecordsFilter, dict[str, Any]]:
    """The filter form with the person's own 参保项目 and years; a value that is not one of them is
    dropped (the whole list shows), never an error page."""
    form = RecordsFilter(request.GET or None, plans=[(p.pk, p.name) for p in person_plans(person)],
                         years=person_years(person))
    chosen: dict[str, Any] = {"plan_id": None, "year": None}
    if form.is_bound and form.is_valid():
        chosen = {"plan_id": form.cleaned_data["plan"], "year": form.cleaned_data["year"]}
    return form, chosen


def _render(request: AuthenticatedHttpRequest, page: str, context: dict[str, Any]) -> HttpResponse:
    template = f"mobile/_{page}_list.html" if request.headers.get("HX-Request") else f"mobile/{page}.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])  # the list alone must never be what a later visit shows
    return response


@member_view
@require_GET
def coverage(request: AuthenticatedHttpRequest, person: Person) -> HttpResponse:
    form, chosen = _filtered(request, person)
    rows = list(coverages_of_person(person, **chosen))
    return _render(request, "coverage", {"form": form, "rows": rows, "person": person})


@member_view
@require_GET
def claims(request: AuthenticatedHttpRequest, person: Person) -> HttpResponse:
    form, chosen = _filtered(request, person)
    rows = [(c, claim_amount(c)) for c in claims_of_person(person, **chosen)]
    return _render(request, "claims", {"form": form, "rows": rows, "person": person})
