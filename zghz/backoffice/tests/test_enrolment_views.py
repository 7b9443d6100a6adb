"""参保申请 in the back office: the queue, the detail, 经办 审核 and 财务 付款审核, per role."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from zghz.audit.models import AuditEntry
from zghz.conftest import Personas, login_handler, login_staff
from zghz.coverage.models import Coverage
from zghz.enrolment.models import WorkOrder
from zghz.enrolment.services import work_order_pay, work_order_review, work_order_submit
from zghz.enrolment.tests.factories import draft, make_people, make_plan_year
from zghz.plans.models import PlanYear
from zghz.sms.models import SmsMessage

pytestmark = pytest.mark.django_db
S = WorkOrder.Status
STAFF = ["clerk", "business", "report", "finance", "district", "admin"]


@pytest.fixture
def plan_year(db: Any) -> PlanYear:
    return make_plan_year()


def png() -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (30, 20), "white").save(buf, "PNG")
    return SimpleUploadedFile("凭证.png", buf.getvalue(), content_type="image/png")


def pending(unit: Any, plan_year: PlanYear, n: int = 2, seed: int = 1) -> WorkOrder:
    wo = draft(unit, plan_year, make_people(n, seed=seed))
    work_order_submit(work_order=wo, actor=unit.handler)
    wo.refresh_from_db()
    return wo


def paid(unit: Any, plan_year: PlanYear, clerk: Any, n: int = 2, seed: int = 1) -> WorkOrder:
    wo = pending(unit, plan_year, n, seed)
    work_order_review(work_order=wo, actor=clerk, approve=True)
    wo.refresh_from_db()
    assert wo.amount_due is not None
    work_order_pay(work_order=wo, actor=unit.handler, paid_amount=wo.amount_due, voucher=png(), stamped_roster=png())
    wo.refresh_from_db()
    return wo


def page(response: Any) -> str:
    return response.content.decode()


def test_it_lists_the_queue_with_filters(client: Client, personas: Personas, plan_year: PlanYear) -> None:
    a = pending(personas.unit_a, plan_year)
    b = draft(personas.unit_b, plan_year, make_people(1, seed=5))
    login_staff(client, personas.clerk)
    html = page(client.get("/staff/work-orders/"))
    for label in ("参保申请", "工单编号", "参保单位", "参保项目", "状态", "人数", "应付款参保金额", "查询", "重置"):
        assert label in html
    assert a.number in html and b.number in html
    html = page(client.get("/staff/work-orders/", {"status": "pending"}))
    assert a.number in html and b.number not in html and "审核" in html
    assert b.number in page(client.get("/staff/work-orders/", {"unit": personas.unit_b.name[-4:]}))
    assert a.number not in page(client.get("/staff/work-orders/", {"unit": personas.unit_b.name}))
    html = page(client.get("/staff/work-orders/", {"number": a.number[-6:]}))
    assert a.number in html and b.number not in html
    # A complete number (any case) matches exactly, a beginning as a prefix, through the number's index.
    html = page(client.get("/staff/work-orders/", {"number": " " + a.number.lower() + " "}))
    assert a.number in html and b.number not in html
    html = page(client.get("/staff/work-orders/", {"number": a.number[:10]}))
    assert a.number in html and (b.number in html) == b.number.startswith(a.number[:10])
    assert a.number not in page(client.get("/staff/work-orders/", {"number": "X" + a.number[:9]}))
    assert client.get("/staff/work-orders/", {"status": "nonsense"}).status_code == 200


def test_it_scopes_a_district_account_to_its_district(client: Client, personas: Personas,
                                                      plan_year: PlanYear) -> None:
    a = pending(personas.unit_a, plan_year)  # 滨湖区
    b = pending(personas.unit_b, plan_year, seed=4)  # 梁溪区
    login_staff(client, personas.district)
    html = page(client.get("/staff/work-orders/"))
    assert b.number in html and a.number not in html
    assert client.get(f"/staff/work-orders/{b.number}/").status_code == 200
    for url in (f"/staff/work-orders/{a.number}/", f"/staff/work-orders/{a.number}/voucher/"):
        assert client.get(url).status_code == 404
    assert 'value="approve"' not in page(client.get(f"/staff/work-orders/{b.number}/"))  # read-only


def test_it_keeps_the_queue_query_count_flat(client: Client, personas: Personas, plan_year: PlanYear,
                                             django_assert_max_num_queries: Any) -> None:
    pending(personas.unit_a, plan_year)
    login_staff(client, personas.clerk)
    with django_assert_max_num_queries(15) as few:
        client.get("/staff/work-orders/")
    for i in range(12):
        pending(personas.unit_b if i % 2 else personas.unit_a, plan_year, seed=i + 10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/staff/work-orders/").status_code == 200


def test_it_shows_the_detail_masked(client: Client, personas: Personas, plan_year: PlanYear,
                                    django_assert_max_num_queries: Any) -> None:
    wo = pending(personas.unit_a, plan_year, n=3)
    login_staff(client, personas.clerk)
    with django_assert_max_num_queries(20) as few:
        html = page(client.get(f"/staff/work-orders/{wo.number}/"))
    line = wo.lines.first()
    assert line is not None
    assert line.name in html and line.id_number not in html and line.phone not in html and line.bank_card not in html
    for label in ("通过", "驳回", "驳回原因", "参保人员", "办理进度", "付款凭证", "盖章参保花名册"):
        assert label in html
    big = pending(personas.unit_a, plan_year, n=80, seed=9)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert "第 1 / 2 页" in page(client.get(f"/staff/work-orders/{big.number}/"))


def test_it_approves_a_pending_order(client: Client, personas: Personas, plan_year: PlanYear) -> None:
    wo = pending(personas.unit_a, plan_year, n=3)
    login_staff(client, personas.clerk)
    r = client.post(f"/staff/work-orders/{wo.number}/review/", {"action": "approve"}, follow=True)
    assert "已审核通过" in page(r)
    wo.refresh_from_db()
    assert wo.status == S.AWAITING_PAYMENT and wo.amount_due == Decimal("180.00")
    assert SmsMessage.objects.filter(idempotency_key__startswith="work-order:").count() == 1
    r = client.post(f"/staff/work-orders/{wo.number}/review/", {"action": "approve"}, follow=True)
    assert "该记录已被处理" in page(r)
    assert SmsMessage.objects.filter(idempotency_key__startswith="work-order:").count() == 1


def test_it_rejects_only_with_a_reason(client: Client, personas: Personas, plan_year: PlanYear) -> None:
    wo = pending(personas.unit_a, plan_year)
    login_staff(client, personas.clerk)
    r = client.post(f"/staff/work-orders/{wo.number}/review/", {"action": "reject", "review-reason": ""})
    assert r.status_code == 400 and "请填写驳回原因" in page(r)
    wo.refresh_from_db()
    assert wo.status == S.PENDING
    client.post(f"/staff/work-orders/{wo.number}/review/", {"action": "reject", "review-reason": "人数与盖章花名册不符"})
    wo.refresh_from_db()
    assert wo.status == S.DRAFT and wo.reject_reason == "人数与盖章花名册不符"
    assert AuditEntry.objects.filter(action="work_order.reject", object_id=str(wo.pk)).exists()


def test_it_confirms_a_payment_and_creates_coverage(client: Client, personas: Personas, plan_year: PlanYear) -> None:
    wo = paid(personas.unit_a, plan_year, personas.clerk)
    login_staff(client, personas.finance)
    html = page(client.get(f"/staff/work-orders/{wo.number}/"))
    assert "付款审核" in html and "实付款参保金额 120.00 元" in html
    voucher = client.get(f"/staff/work-orders/{wo.number}/voucher/")
    assert voucher.status_code == 200 and voucher["Content-Type"] == "image/jpeg"
    assert AuditEntry.objects.filter(action="file.download", actor_id=personas.finance.pk).exists()
    assert client.get(f"/staff/work-orders/{wo.number}/stamped-roster/").status_code == 200
    r = client.post(f"/staff/work-orders/{wo.number}/payment-review/", {"action": "approve"}, follow=True)
    assert "已生成 2 条参保记录" in page(r)
    wo.refresh_from_db()
    assert wo.status == S.COMPLETED and Coverage.objects.filter(work_order=wo).count() == 2


def test_it_rejects_a_payment_with_a_reason(client: Client, personas: Personas, plan_year: PlanYear) -> None:
    wo = paid(personas.unit_a, plan_year, personas.clerk)
    login_staff(client, personas.finance)
    r = client.post(f"/staff/work-orders/{wo.number}/payment-review/", {"action": "reject"})
    assert r.status_code == 400 and "请填写驳回原因" in page(r)
    client.post(f"/staff/work-orders/{wo.number}/payment-review/", {"action": "reject",
                                                                    "payment-reason": "未收到款项"})
    wo.refresh_from_db()
    assert wo.status == S.AWAITING_PAYMENT and wo.reject_reason == "未收到款项"
    assert not Coverage.objects.exists()


# (method, path, {persona: status}); {p} is a pending order of unit_a, {q} a payment_review order of unit_b.
MATRIX: list[tuple[str, str, dict[str, int]]] = [
    ("get", "/staff/work-orders/", dict.fromkeys(STAFF, 200)),
    ("get", "/staff/work-orders/{p}/", {**dict.fromkeys(STAFF, 200), "district": 404}),
    ("get", "/staff/work-orders/{q}/", dict.fromkeys(STAFF, 200)),
    ("get", "/staff/work-orders/{q}/voucher/", dict.fromkeys(STAFF, 200)),
    ("get", "/staff/work-orders/{p}/voucher/", {**dict.fromkeys(STAFF, 404)}),
    # review needs 经办, payment review 财务: the role is checked before the order is looked up.
    ("post", "/staff/work-orders/{p}/review/", {**dict.fromkeys(STAFF, 403), "clerk": 400}),
    ("post", "/staff/work-orders/{q}/review/", {**dict.fromkeys(STAFF, 403), "clerk": 400}),
    ("post", "/staff/work-orders/{q}/payment-review/", {**dict.fromkeys(STAFF, 403), "finance": 400}),
]


@pytest.mark.parametrize("who", STAFF)
def test_it_lets_each_role_do_what_it_may(client: Client, personas: Personas, plan_year: PlanYear, who: str) -> None:
    p = pending(personas.unit_a, plan_year)
    q = paid(personas.unit_b, plan_year, personas.clerk, seed=6)
    login_staff(client, getattr(personas, who))
    for method, template, expected in MATRIX:
        path = template.format(p=p.number, q=q.number)
        # POSTs without a reason: an allowed reviewer gets the form back (400), nobody changes anything.
        r = getattr(client, method)(path, {"action": "reject"}) if method == "post" else client.get(path)
        assert r.status_code == expected[who], (who, method, path, r.status_code)
    p.refresh_from_db()
    q.refresh_from_db()
    assert (p.status, q.status) == (S.PENDING, S.PAYMENT_REVIEW)


@pytest.mark.parametrize("who", ["anonymous", "handler"])
def test_it_keeps_non_staff_out(client: Client, personas: Personas, plan_year: PlanYear, who: str) -> None:
    wo = pending(personas.unit_a, plan_year)
    if who == "handler":
        login_handler(client, personas.unit_a)
    for path in ("/staff/work-orders/", f"/staff/work-orders/{wo.number}/",
                 f"/staff/work-orders/{wo.number}/voucher/"):
        r = client.get(path)
        assert r.status_code == 302 and r["Location"].startswith("/staff/login/?next=")
    for path in (f"/staff/work-orders/{wo.number}/review/", f"/staff/work-orders/{wo.number}/payment-review/"):
        assert client.post(path, {"action": "approve"}).status_code == 404
    wo.refresh_from_db()
    assert wo.status == S.PENDING


@pytest.mark.parametrize(("method", "path"), [
    ("post", "/staff/work-orders/"), ("post", "/staff/work-orders/{n}/"), ("get", "/staff/work-orders/{n}/review/"),
    ("get", "/staff/work-orders/{n}/payment-review/"), ("post", "/staff/work-orders/{n}/voucher/"),
    ("put", "/staff/work-orders/{n}/review/"),
])
def test_it_answers_a_wrong_method_with_405(client: Client, personas: Personas, plan_year: PlanYear, method: str,
                                            path: str) -> None:
    wo = pending(personas.unit_a, plan_year)
    login_staff(client, personas.clerk if "payment" not in path else personas.finance)
    assert getattr(client, method)(path.format(n=wo.number)).status_code == 405


def test_it_shows_the_menu_items_by_role(client: Client, personas: Personas) -> None:
    expected = {"clerk": {"参保申请审核", "参保申请"}, "finance": {"付款审核", "参保申请"},
                "district": {"参保申请"}, "business": {"参保申请"}}
    for who, items in expected.items():
        login_staff(client, getattr(personas, who))
        html = page(client.get("/staff/work-orders/"))
        nav = html.split('aria-label="后台菜单"')[1].split("</aside>")[0]
        for item in ("参保申请审核", "付款审核"):
            assert (f">{item}</a>" in nav) == (item in items), (who, item)
        assert ">参保申请</a>" in nav
        client.logout()


def test_it_serves_the_review_queue_first_come_first_served(client: Client, personas: Personas,
                                                            plan_year: PlanYear) -> None:
    first = pending(personas.unit_b, plan_year, seed=21)
    second = pending(personas.unit_a, plan_year, seed=22)
    assert second.submitted_at is not None
    WorkOrder.objects.filter(pk=first.pk).update(submitted_at=second.submitted_at - timedelta(hours=1))
    newest_draft = draft(personas.unit_a, plan_year, make_people(1, seed=23))
    login_staff(client, personas.clerk)
    html = page(client.get("/staff/work-orders/", {"status": "pending"}))
    assert html.index(first.number) < html.index(second.number)
    html = page(client.get("/staff/work-orders/"))
    assert html.index(newest_draft.number) < html.index(second.number) < html.index(first.number)
