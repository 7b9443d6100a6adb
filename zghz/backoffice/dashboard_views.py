"""The back office's 首页: units per 审核状态 and claims waiting at each review node, among those the staff
member may see."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.claims.selectors import claim_queue_counts
from zghz.units.selectors import unit_status_counts

from .access import staff_view


@staff_view()
@require_GET
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    return render(request, "backoffice/dashboard.html", {"nav": "dashboard", "counts": unit_status_counts(user),
                                                         "claim_counts": claim_queue_counts(user)})
