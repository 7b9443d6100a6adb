"""Objects of unit A that the access walk puts into every route parameter."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone

from zghz.conftest import Personas
from zghz.enrolment.models import WorkOrder
from zghz.exports.models import ExportJob
from zghz.plans.models import Plan, PlanYear


def build_objects(personas: Personas) -> dict[str, Any]:
    plan = Plan.objects.create(code="WALK", name="三合一")
    year = PlanYear.objects.create(plan=plan, year=timezone.localdate().year)
    order = WorkOrder.objects.create(number="CB20260101000001", unit=personas.unit_a, plan_year=year)
    export_job = ExportJob.objects.create(kind="coverage.unit", owner=personas.unit_a.handler,
                                          unit_id=personas.unit_a.pk, status=ExportJob.Status.DONE,
                                          expires_at=timezone.now() + timedelta(days=7))
    return {"unit": personas.unit_a, "plan": plan, "plan_year": year, "work_order": order,
            "export_job": export_job}


# parameter name -> value taken from unit A's objects
SAMPLES: dict[str, Callable[[dict[str, Any]], Any]] = {
    "pk": lambda o: o["unit"].pk,
    "unit_id": lambda o: o["unit"].pk,
    "number": lambda o: o["work_order"].number,
    "plan_id": lambda o: o["plan"].pk,
    "year_id": lambda o: o["plan_year"].pk,
    "plan_year_id": lambda o: o["plan_year"].pk,
    "job_id": lambda o: o["export_job"].pk,
    "district_id": lambda o: o["unit"].district_id,
}
