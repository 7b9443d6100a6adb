"""理赔 in the back office: queues per node, the detail, decisions, staff uploads, documents, the offline
意外/工伤 entry — for every persona."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zghz.audit.models import AuditEntry
from zghz.claims.models import Claim, ClaimDocument, ClaimEvent
from zghz.claims.services import claim_decide, claim_documents_upload
from zghz.claims.tests.review_factories import claim, coverage, image, other_member, pdf, plan_year
from zghz.conftest import Personas, login_handler, login_staff

pytestmark = pytest.mark.django_db
S = Claim.Status
N = ClaimEvent.Node
D = ClaimEvent.Decision
G = ClaimDocument.Group
STAFF = ["clerk", "business", "report", "finance", "district", "admin"]


@pytest.fixture
def ci(personas: Personas) -> Claim:
    """A 重疾 claim of unit A (滨湖区) waiting for 经办初审 with both documents."""
    c = claim(coverage(personas.member, personas.unit_a), status=S.INITIAL_REVIEW)
    claim_documents_upload(actor=personas.clerk, claim=c, group=G.EXAM_REPORT, files=[image()])
    claim_documents_upload(actor=personas.clerk, claim=c, group=G.DISCHARGE, files=[pdf("出院小结.pdf")])
    return c


@pytest.fixture
def in_b(personas: Personas) -> Claim:
    """A claim of unit B (梁溪区, the 区局 persona's district)."""
    person = other_member()
    return claim(coverage(person, personas.unit_b, plan_year(code="B")), kind=Claim.Kind.HOSPITAL, amount="5000.00")


def as_staff(personas: Personas, who: str) -> Client:
    return login_staff(Client(), personas.staff[who])


def page(response: Any) -> str:
    return response.content.decode()


def test_it_shows_each_role_its_queue_in_the_menu(personas: Personas, ci: Claim) -> None:
    expected = {"clerk": ["待初审", "意外理赔录入"], "business": ["待复核"], "report": ["待报告复核"],
                "finance": [], "district": [], "admin": []}
    for who, links in expected.items():
        html = page(as_staff(personas, who).get("/staff/"))
        assert "理赔工单" in html
        for label in ("待初审", "待复核", "待报告复核", "意外理赔录入"):
            assert (f">{label}</a>" in html) == (label in links), (who, label)


def test_it_counts_each_queue_on_the_dashboard(personas: Personas, ci: Claim, in_b: Claim) -> None:
    claim(ci.coverage, kind=Claim.Kind.HOSPITAL, status=S.BUSINESS_REVIEW)
    html = page(as_staff(personas, "clerk").get("/staff/"))
    assert 'data-testid="claims-initial" style="font-size:24px">2<' in html and "claims-business" not in html
    html = page(as_staff(personas, "business").get("/staff/"))
    assert 'data-testid="claims-business" style="font-size:24px">1<' in html and "claims-initial" not in html
    assert "理赔审核" not in page(as_staff(personas, "district").get("/staff/"))


def test_it_lists_a_queue_first_come_first_served_with_masked_phones(personas: Personas, ci: Claim) -> None:
    older = claim(ci.coverage, kind=Claim.Kind.HOSPITAL, amount="5000.00")
    Claim.objects.filter(pk=older.pk).update(declared_at=timezone.now() - timedelta(days=2))
    claim(ci.coverage, kind=Claim.Kind.HOSPITAL, status=S.COMPLETED, amount="100.00")
    html = page(as_staff(personas, "clerk").get("/staff/claims/?status=initial_review"))
    assert html.index(older.number) < html.index(ci.number)
    assert "139****0001" in html and "13900000001" not in html
    assert "100.00" not in html  # the completed one is not in this queue
    assert "100.00" in page(as_staff(personas, "clerk").get("/staff/claims/"))


def test_it_keeps_queue_queries_flat(personas: Personas, ci: Claim) -> None:
    client = as_staff(personas, "clerk")
    client.get("/staff/claims/")
    with CaptureQueriesContext(connection) as few:
        client.get("/staff/claims/")
    for _ in range(8):
        claim(ci.coverage, kind=Claim.Kind.HOSPITAL, amount="10.00")
    with CaptureQueriesContext(connection) as many:
        assert client.get("/staff/claims/").status_code == 200
    assert len(many) == len(few)


def test_it_offers_审核_in_a_queue_only_to_who_works_the_node(personas: Personas, ci: Claim, in_b: Claim) -> None:
    review = f'href="/staff/claims/{ci.number}/">审核</a>'
    look = f'href="/staff/claims/{ci.number}/">查看</a>'
    assert review in page(as_staff(personas, "clerk").get("/staff/claims/"))
    assert look in page(as_staff(personas, "business").get("/staff/claims/"))
    Claim.objects.filter(pk=ci.pk).update(status=S.BUSINESS_REVIEW)
    assert review in page(as_staff(personas, "business").get("/staff/claims/"))
    assert look in page(as_staff(personas, "clerk").get("/staff/claims/"))
    # 区局 only looks, even at a claim of its own district.
    Claim.objects.filter(pk=in_b.pk).update(status=S.INITIAL_REVIEW)
    html = page(as_staff(personas, "district").get("/staff/claims/"))
    assert f'href="/staff/claims/{in_b.number}/">查看</a>' in html
    assert f'href="/staff/claims/{in_b.number}/">审核</a>' not in html


def test_it_scopes_district_staff_to_their_district_read_only(personas: Personas, ci: Claim, in_b: Claim) -> None:
    client = as_staff(personas, "district")
    html = page(client.get("/staff/claims/"))
    assert in_b.number in html and ci.number not in html
    assert client.get(f"/staff/claims/{ci.number}/").status_code == 404
    response = client.get(f"/staff/claims/{in_b.number}/")
    assert response.status_code == 200
    assert "/decide/" not in page(response) and "/upload/" not in page(response)
    assert client.post(f"/staff/claims/{in_b.number}/decide/", {"node": N.INITIAL, "decision": D.AGREE}).status_code == 403
    in_b.refresh_from_db()
    assert in_b.status == S.INITIAL_REVIEW


def test_it_shows_the_detail_with_documents_computation_and_progress(personas: Personas, ci: Claim) -> None:
    html = page(as_staff(personas, "business").get(f"/staff/claims/{ci.number}/"))
    for text in ("张伟", "3202**********", "139****0001", "6228 **** **** 0018", "重疾", "胃恶性肿瘤", "15000.00",
                 "重疾给付金额 15,000.00 元", "系统计算金额：15,000.00 元", "检查报告单/病理报告", "出院小结.pdf",
                 "理赔进度", "系统自动审核", "代为上传", "clerk"):
        assert text in html, text
    assert "6228480402564890018" not in html
    assert "/decide/" not in html  # 待初审 is not 业务复核's node


def test_it_decides_through_the_form_and_answers_the_slower_colleague(personas: Personas, ci: Claim) -> None:
    clerk = as_staff(personas, "clerk")
    html = page(clerk.get(f"/staff/claims/{ci.number}/"))
    assert 'name="node" value="initial"' in html and "退回" in html
    response = clerk.post(f"/staff/claims/{ci.number}/decide/", {"node": N.INITIAL, "decision": D.AGREE,
                                                                 "approved_amount": "15000.00"})
    assert response.status_code == 302
    ci.refresh_from_db()
    assert ci.status == S.BUSINESS_REVIEW
    again = clerk.post(f"/staff/claims/{ci.number}/decide/", {"node": N.INITIAL, "decision": D.AGREE}, follow=True)
    assert "已被处理" in page(again)
    assert ClaimEvent.objects.filter(claim=ci, node=N.INITIAL).count() == 1


def test_it_puts_a_missing_reason_next_to_its_field(personas: Personas, ci: Claim) -> None:
    clerk = as_staff(personas, "clerk")
    response = clerk.post(f"/staff/claims/{ci.number}/decide/", {"node": N.INITIAL, "decision": D.AGREE,
                                                                 "approved_amount": "12000"})
    assert response.status_code == 400 and "修改核定金额须填写原因" in page(response)
    response = clerk.post(f"/staff/claims/{ci.number}/decide/", {"node": N.INITIAL, "decision": D.DISAGREE})
    assert response.status_code == 400 and "请填写不同意的原因" in page(response)
    response = clerk.post(f"/staff/claims/{ci.number}/decide/", {"node": N.INITIAL})
    assert response.status_code == 400 and "请选择审核结果" in page(response)
    ci.refresh_from_db()
    assert ci.status == S.INITIAL_REVIEW and ci.approved_amount is None
    clerk.post(f"/staff/claims/{ci.number}/decide/", {"node": N.INITIAL, "decision": D.AGREE,
                                                      "approved_amount": "12000", "reason": "部分费用不属于重疾"})
    ci.refresh_from_db()
    assert ci.approved_amount == Decimal("12000.00") and ci.computed_amount == Decimal("15000.00")


def test_it_refuses_decisions_to_those_without_the_nodes_permission(personas: Personas, ci: Claim) -> None:
    for who in ("business", "report", "finance", "admin", "district"):
        response = as_staff(personas, who).post(f"/staff/claims/{ci.number}/decide/",
                                                {"node": N.INITIAL, "decision": D.AGREE})
        assert response.status_code == 403, who
    ci.refresh_from_db()
    assert ci.status == S.INITIAL_REVIEW
    assert as_staff(personas, "clerk").get(f"/staff/claims/{ci.number}/decide/").status_code == 405


def test_it_shows_the_four_eyes_refusal_on_the_page(personas: Personas, ci: Claim) -> None:
    from zghz.accounts.roles import BUSINESS_REVIEW, CLERK
    from zghz.conftest import make_staff

    both = make_staff("both", CLERK, BUSINESS_REVIEW)
    claim_decide(actor=both, claim=ci, node=N.INITIAL, decision=D.AGREE)
    client = login_staff(Client(), both)
    html = page(client.get(f"/staff/claims/{ci.number}/"))
    assert "相邻两个节点" in html and "/decide/" not in html
    response = client.post(f"/staff/claims/{ci.number}/decide/", {"node": N.BUSINESS, "decision": D.AGREE})
    assert response.status_code == 403


def test_it_uploads_on_the_members_behalf(personas: Personas, ci: Claim) -> None:
    Claim.objects.filter(pk=ci.pk).update(status=S.REJECTED)  # one 重疾 claim per term
    c = claim(ci.coverage, kind=Claim.Kind.CRITICAL_ILLNESS, status=S.RETURNED, diagnosis_code="C34.1")
    clerk = as_staff(personas, "clerk")
    assert 'type="file" name="upload"' in page(clerk.get(f"/staff/claims/{c.number}/"))
    response = clerk.post(f"/staff/claims/{c.number}/upload/", {"group": G.EXAM_REPORT, "upload": [image(), pdf()]})
    assert response.status_code == 302
    assert ClaimDocument.objects.filter(claim=c, group=G.EXAM_REPORT).count() == 2
    bad = clerk.post(f"/staff/claims/{c.number}/upload/", {"group": G.DISCHARGE, "upload": []})
    assert bad.status_code == 400 and "请选择要上传的出院记录/出院小结" in page(bad)
    for who in ("business", "report", "finance", "admin", "district"):
        assert as_staff(personas, who).post(f"/staff/claims/{c.number}/upload/",
                                            {"group": G.DISCHARGE, "upload": [image()]}).status_code in (403, 404), who
    assert not ClaimDocument.objects.filter(claim=c, group=G.DISCHARGE).exists()


def test_it_serves_documents_through_the_claim_and_audits_it(personas: Personas, ci: Claim, in_b: Claim) -> None:
    doc = ClaimDocument.objects.filter(claim=ci, group=G.EXAM_REPORT).get()
    response = as_staff(personas, "report").get(f"/staff/claims/{ci.number}/documents/{doc.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response.content.startswith(b"\xff\xd8")
    assert AuditEntry.objects.filter(action="file.download", actor_label="report").exists()
    # A document is reached only through its own claim.
    assert as_staff(personas, "report").get(f"/staff/claims/{in_b.number}/documents/{doc.pk}/").status_code == 404
    assert as_staff(personas, "district").get(f"/staff/claims/{ci.number}/documents/{doc.pk}/").status_code == 404


def test_it_enters_an_offline_accident_claim(personas: Personas) -> None:
    cov = coverage(personas.member, personas.unit_a, start=timezone.localdate() - timedelta(days=30))
    clerk = as_staff(personas, "clerk")
    assert "意外理赔录入" in page(clerk.get("/staff/claims/accident/new/"))
    day = timezone.localdate() - timedelta(days=20)
    response = clerk.post("/staff/claims/accident/new/", {
        "id_number": personas.member.id_number, "accident_date": day.isoformat(), "accident_type": "work_injury",
        "result": "disability", "grade": "7", "assessed_on": (day + timedelta(days=10)).isoformat(),
        "doc_id_copy": [pdf()], "doc_injury_assessment": [image()],
    }, follow=True)
    html = page(response)
    c = Claim.objects.get(kind=Claim.Kind.ACCIDENT)
    assert c.coverage == cov and c.computed_amount == Decimal("20000.00") and c.grade_standard == "GB/T 16180"
    assert c.number in html and "不足 180 天" in html and "缺少材料" in html
    assert ClaimDocument.objects.filter(claim=c).count() == 2
    bad = clerk.post("/staff/claims/accident/new/", {
        "id_number": personas.member.id_number, "accident_date": day.isoformat(), "accident_type": "accident",
        "result": "disability"})
    assert bad.status_code == 400 and "请选择伤残等级" in page(bad)
    for who in ("business", "report", "finance", "admin", "district"):
        assert as_staff(personas, who).get("/staff/claims/accident/new/").status_code == 403, who


def test_it_keeps_handlers_members_and_visitors_out(personas: Personas, ci: Claim) -> None:
    doc = ClaimDocument.objects.filter(claim=ci).first()
    assert doc is not None
    urls = ["/staff/claims/", f"/staff/claims/{ci.number}/", f"/staff/claims/{ci.number}/documents/{doc.pk}/",
            "/staff/claims/accident/new/"]
    member = Client()
    assert personas.member.account is not None
    member.force_login(personas.member.account, backend="django.contrib.auth.backends.ModelBackend")
    for client in (Client(), login_handler(Client(), personas.unit_a), member):
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302 and response["Location"].startswith("/staff/login/"), url
        assert client.post(f"/staff/claims/{ci.number}/decide/", {"node": "initial", "decision": "agree"}
                           ).status_code == 404
    ci.refresh_from_db()
    assert ci.status == S.INITIAL_REVIEW


def test_it_searches_by_number_and_by_the_beginning_of_the_name(personas: Personas, ci: Claim, in_b: Claim) -> None:
    clerk = as_staff(personas, "clerk")
    name = ci.person.name
    assert len(name) >= 2 and not in_b.person.name.startswith(name[0])

    def numbers(**params: str) -> set[str]:
        html = page(clerk.get("/staff/claims/", params))
        return {n for n in (ci.number, in_b.number) if n in html}

    assert numbers(name=name) == numbers(name=name[0]) == {ci.number}  # full name, or the surname
    assert numbers(name=name[1:]) == set()  # not from the middle: that would read every insured person
    assert numbers(number=ci.number.lower()) == {ci.number}
    assert numbers(number=ci.number[-6:]) == {ci.number} | ({in_b.number} if in_b.number.endswith(ci.number[-6:]) else set())
