"""The back office's 首页: each staff member's own queues, by role (经办: 待审核单位 and 参保申请; 财务:
付款审核 and 待追回; the claim review nodes of whoever reviews them), each linking to its list, and this
month's figures, among what the staff member may see."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.analytics.selectors import month_overview, staff_scope
from zghz.claims.models import Recovery
from zghz.claims.selectors import claim_queue_counts
from zghz.enrolment.selectors import work_order_queue_counts
from zghz.payouts.selectors import recoveries_for_staff
from zghz.units.selectors import unit_status_counts

from .access import staff_view


@staff_view()
@require_GET
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    return render(request, "backoffice/dashboard.html", {
        "nav": "dashboard", "counts": unit_status_counts(user), "claim_counts": claim_queue_counts(user),
        "order_counts": work_order_queue_counts(user),
        "recoveries": recoveries_for_staff(user, status=Recovery.Status.OPEN).count(),
        "month": month_overview(staff_scope(user), timezone.localdate()),
    })
