"""导出 of the 续保提醒 list and renewing from it: the exported file uploaded as a work order, and 一键续保."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from zghz.audit.models import AuditEntry
from zghz.conftest import Personas, login_handler
from zghz.coverage.models import Coverage
from zghz.enrolment.models import WorkOrder, WorkOrderLine
from zghz.enrolment.roster import read_rows
from zghz.enrolment.services import work_order_payment_review, work_order_upload
from zghz.enrolment.tests.factories import draft, make_coverage, make_people, make_plan_year, upload
from zghz.enrolment.tests.test_services import to_payment_review
from zghz.renewals.selectors import due_of_unit, window_for

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 10, 0, tzinfo=SHANGHAI)


def test_it_exports_the_list_with_full_numbers_and_renews_without_a_gap(client: Client, personas: Personas) -> None:
    with time_machine.travel(at(2026, 12, 3), tick=False):
        py = make_plan_year(year=2026)
        renewing, other = make_people(2)
        old = make_coverage(renewing, py, personas.unit_a, start=date(2025, 12, 6), end=date(2026, 12, 5))
        make_coverage(other, py, personas.unit_b, start=date(2025, 12, 6), end=date(2026, 12, 5))
        r = login_handler(client, personas.unit_a).post(reverse("portal:renewals_export"))
        assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
        assert "attachment" in r["Content-Disposition"]
        sheet = read_rows(r.content, "续保名单.xlsx")
        assert [(x.name, x.id_number, x.card, x.bank, x.phone) for x in sheet.rows] == [
            (renewing["name"], renewing["id_number"], renewing["card"], renewing["bank"], renewing["phone"])]
        entry = AuditEntry.objects.get(action="renewal.export")
        assert entry.unit_id == personas.unit_a.pk and renewing["id_number"] not in str(entry.detail)
        # The file, uploaded as a new work order, renews.
        wo = draft(personas.unit_a, py)
        work_order_upload(work_order=wo, upload=upload(r.content), actor=personas.unit_a.handler)
        line = WorkOrderLine.objects.get(work_order=wo)
        assert line.eligible and line.renews_id == old.pk
        assert not due_of_unit(personas.unit_a, window_for()).exists()  # the open line takes them off the list
        wo = to_payment_review(wo, personas)
    with time_machine.travel(at(2026, 12, 15), tick=False):  # 10 days after the old end: still continuous
        work_order_payment_review(work_order=wo, actor=personas.finance, approve=True)
    new = Coverage.objects.get(work_order=wo)
    assert (new.start_date, new.end_date, new.waiting_until) == (date(2026, 12, 6), date(2027, 12, 5), date(2026, 12, 6))
    with time_machine.travel(at(2026, 12, 20), tick=False):
        assert not due_of_unit(personas.unit_a, window_for()).exists()


def test_it_renews_in_one_click_into_a_draft_work_order(client: Client, personas: Personas) -> None:
    with time_machine.travel(at(2026, 12, 3), tick=False):
        py = make_plan_year(year=2026)
        people = make_people(3)
        for p in people:
            make_coverage(p, py, personas.unit_a, start=date(2025, 12, 10), end=date(2026, 12, 9))
        login_handler(client, personas.unit_a)
        page = client.get(reverse("portal:manage")).content.decode()
        assert "一键续保：三合一" in page
        r = client.post(reverse("portal:renewals_work_order"), {"plan": py.plan_id})
        wo = WorkOrder.objects.get(unit=personas.unit_a, status=WorkOrder.Status.DRAFT)
        assert r.status_code == 302 and r["Location"] == reverse("portal:apply_detail", args=[wo.number])
        lines = list(WorkOrderLine.objects.filter(work_order=wo))
        assert len(lines) == 3 and all(x.eligible and x.renews_id for x in lines)
        assert wo.plan_year.plan_id == py.plan_id and wo.eligible_count == 3
        assert AuditEntry.objects.filter(action="renewal.work_order", unit_id=personas.unit_a.pk).count() == 1
        # Everyone is now on an open line: the list is empty and a second click makes nothing.
        r = client.post(reverse("portal:renewals_work_order"), {"plan": py.plan_id})
        assert r.status_code == 400 and "请选择续保名单中的参保项目" in r.content.decode()
        assert WorkOrder.objects.filter(unit=personas.unit_a).count() == 1 + 3  # the old orders and the new one


def test_it_refuses_a_plan_not_on_the_units_list(client: Client, personas: Personas) -> None:
    with time_machine.travel(at(2026, 12, 3), tick=False):
        py = make_plan_year(year=2026)
        [p] = make_people(1)
        make_coverage(p, py, personas.unit_b, start=date(2025, 12, 10), end=date(2026, 12, 9))
        r = login_handler(client, personas.unit_a).post(reverse("portal:renewals_work_order"), {"plan": py.plan_id})
        assert r.status_code == 400
        assert not WorkOrder.objects.filter(unit=personas.unit_a).exists()
        assert login_handler(Client(), personas.unit_a).get(reverse("portal:renewals_export")).status_code == 405
