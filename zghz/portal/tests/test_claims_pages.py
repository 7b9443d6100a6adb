"""理赔分析 in the unit portal (SPEC §6.5, manual 五): figures per year, the claims list with 查询 / 重置,
导出, and the claim detail with 理赔进度; only the unit's own coverage's claims."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from python_calamine import CalamineWorkbook

from zghz.accounts.roles import BUSINESS_REVIEW, CLERK, REPORT_REVIEW
from zghz.analytics.services import figures_refresh_units
from zghz.claims.models import Claim, ClaimDocument, ClaimEvent
from zghz.claims.services import claim_decide, claim_documents_upload
from zghz.claims.tests.review_factories import claim, coverage, image, other_member, plan_year, png
from zghz.conftest import Personas, login_handler, make_staff
from zghz.exports.models import ExportJob

pytestmark = pytest.mark.django_db
S = Claim.Status
N = ClaimEvent.Node
D = ClaimEvent.Decision
G = ClaimDocument.Group


@pytest.fixture
def handler(personas: Personas) -> Client:
    return login_handler(Client(), personas.unit_a)


@pytest.fixture
def completed(personas: Personas) -> Claim:
    """The manual's 附件 2 example: a 重疾 claim, majajia 经办初审 and 报告复核, wangying 业务复核."""
    majajia = make_staff("majajia", CLERK, REPORT_REVIEW)
    wangying = make_staff("wangying", BUSINESS_REVIEW)
    c = claim(coverage(personas.member, personas.unit_a))
    assert personas.member.account is not None
    claim_documents_upload(actor=personas.member.account, claim=c, group=G.EXAM_REPORT, files=[image()])
    claim_documents_upload(actor=personas.member.account, claim=c, group=G.DISCHARGE, files=[png()])
    for node, who in ((N.INITIAL, majajia), (N.BUSINESS, wangying), (N.REPORT, majajia)):
        c.refresh_from_db()
        claim_decide(actor=who, claim=c, node=node, decision=D.AGREE)
    c.refresh_from_db()
    return c


def page(response: Any) -> str:
    return response.content.decode()


def test_it_shows_the_figures_per_year_of_the_chosen_plan(personas: Personas, handler: Client) -> None:
    this_year = timezone.localdate().year
    py_now, py_last = plan_year(), plan_year(year=this_year - 1)
    cov_now = coverage(personas.member, personas.unit_a, py_now, start=timezone.localdate() - timedelta(days=10))
    coverage(personas.member, personas.unit_a, py_last, start=timezone.localdate() - timedelta(days=400))
    colleague = other_member()
    coverage(colleague, personas.unit_a, py_now, start=timezone.localdate() - timedelta(days=10))
    claim(cov_now, kind=Claim.Kind.HOSPITAL, status=S.COMPLETED, amount="1200.00", approved_amount=Decimal("1000.00"))
    claim(cov_now, kind=Claim.Kind.HOSPITAL, status=S.PAID, amount="300.50", approved_amount=Decimal("300.50"))
    claim(cov_now, kind=Claim.Kind.HOSPITAL, status=S.INITIAL_REVIEW, amount="5000.00")  # not decided yet
    claim(cov_now, kind=Claim.Kind.HOSPITAL, status=S.REJECTED, amount="900.00")
    # Another unit's coverage and claims of the same plan never count.
    other_cov = coverage(other_member("13900000003"), personas.unit_b, py_now)
    claim(other_cov, kind=Claim.Kind.HOSPITAL, status=S.PAID, amount="999.00", approved_amount=Decimal("999.00"))
    # The factories write coverage straight through the ORM; coverage_create_many rebuilds the summary itself.
    figures_refresh_units(unit_ids=[personas.unit_a.pk, personas.unit_b.pk])

    html = page(handler.get("/claims/"))
    for label in ("参保项目", "参保人数", "缴费金额", "理赔件数", "理赔金额", "理赔人姓名", "理赔人电话", "理赔时间", "查询",
                  "重置", "导出"):
        assert label in html, label
    table = html[html.index('data-testid="figures"'):html.index("</table>", html.index('data-testid="figures"'))]
    rows = table.split("<tr>")[2:]
    assert f"{this_year}年" in rows[0] and "<td>2</td><td>120.00</td><td>2</td><td>1300.50</td>" in rows[0]
    assert f"{this_year - 1}年" in rows[1] and "<td>1</td><td>60.00</td><td>0</td><td>0.00</td>" in rows[1]
    assert "999.00" not in html


def test_it_filters_the_claims_by_name_phone_and_time(personas: Personas, handler: Client) -> None:
    cov = coverage(personas.member, personas.unit_a)
    colleague = other_member()
    cov2 = coverage(colleague, personas.unit_a, cov.plan_year)
    mine = claim(cov, kind=Claim.Kind.HOSPITAL, amount="800.00")
    theirs = claim(cov2, kind=Claim.Kind.HOSPITAL, amount="700.00")
    Claim.objects.filter(pk=theirs.pk).update(declared_at=timezone.now() - timedelta(days=40))
    plan = cov.plan_year.plan_id

    def numbers(query: str) -> set[str]:
        html = page(handler.get(f"/claims/?plan={plan}&{query}"))
        return {n for n in (mine.number, theirs.number) if n in html}

    assert numbers("") == {mine.number, theirs.number}
    assert numbers("name=张") == {mine.number}
    assert numbers("name=李娜") == {theirs.number}
    assert numbers("phone=13900000002") == {theirs.number}
    old = (timezone.localdate() - timedelta(days=40)).isoformat()
    assert numbers(f"date_from={old}&date_to={old}") == {theirs.number}
    assert numbers(f"date_from={timezone.localdate().isoformat()}") == {mine.number}
    html = page(handler.get(f"/claims/?plan={plan}"))
    assert "139****0001" in html and "13900000001" not in html
    bad = page(handler.get("/claims/?phone=1390000"))
    assert "请填写正确的手机号" in bad
    bad = page(handler.get(f"/claims/?date_from={timezone.localdate()}&date_to={old}"))
    assert "开始日期不能晚于结束日期" in bad


def test_it_pages_the_list_with_flat_queries(personas: Personas, handler: Client) -> None:
    cov = coverage(personas.member, personas.unit_a)
    claim(cov, kind=Claim.Kind.HOSPITAL, amount="10.00")
    handler.get("/claims/")
    with CaptureQueriesContext(connection) as few:
        handler.get("/claims/")
    for _ in range(25):
        claim(cov, kind=Claim.Kind.HOSPITAL, amount="10.00")
    with CaptureQueriesContext(connection) as many:
        html = page(handler.get("/claims/"))
    assert len(many) == len(few)
    assert html.count("/claims/LP") == 20
    assert page(handler.get("/claims/?page=2")).count("/claims/LP") == 6


def test_it_exports_the_filtered_claims_to_xlsx(personas: Personas, handler: Client, completed: Claim,
                                                django_capture_on_commit_callbacks: Any) -> None:
    claim(coverage(other_member("13900000004"), personas.unit_b, plan_year(code="B")), kind=Claim.Kind.HOSPITAL)
    with django_capture_on_commit_callbacks(execute=True):
        response = handler.post("/claims/export/", {"plan": completed.plan_year.plan_id, "name": "张伟"})
    assert response.status_code == 302
    job = ExportJob.objects.get(kind="claims.unit")
    assert response["Location"] == f"/claims/exports/{job.pk}/"
    assert "下载" in page(handler.get(response["Location"]))
    download = handler.get(f"/claims/exports/{job.pk}/download/")
    assert download.status_code == 200
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(download.streaming_content)  # type: ignore[attr-defined]
                                                      if download.streaming else download.content)
                                           ).get_sheet_by_index(0).to_python()
    assert sheet[0][:4] == ["理赔编号", "理赔人", "手机号", "参保项目"]
    assert [r[0] for r in sheet[1:]] == [completed.number]
    assert sheet[1][2] == "139****0001" and sheet[1][4] == "重疾" and sheet[1][7] == 15000.0
    # Someone else's export job is 404, whatever the method.
    other = login_handler(Client(), personas.unit_b)
    for method in ("get", "post"):
        assert getattr(other, method)(f"/claims/exports/{job.pk}/").status_code == 404
        assert getattr(other, method)(f"/claims/exports/{job.pk}/download/").status_code == 404


def test_it_shows_the_claim_detail_as_the_manual_does(personas: Personas, handler: Client, completed: Claim) -> None:
    html = page(handler.get(f"/claims/{completed.number}/"))
    for text in ("理赔详情", "参保项目", "三合一", "已完成", "理赔人", "张伟", "手机号", "139****0001", "报销险种", "重疾",
                 "确诊时间", "疾病名称", "胃恶性肿瘤", "银行卡号", "6228 **** **** 0018", "理赔金额", "15000.00", "申报时间",
                 "完成时间", "理赔进度", "节点：经办初审 同意", "节点：业务复核 同意", "节点：报告复核 同意",
                 "处理人：majajia", "处理人：wangying", "理赔完成", "月底前打入会员参保续保时提供的银行卡号"):
        assert text in html, text
    assert "13900000001" not in html and "6228480402564890018" not in html
    assert html.index("处理人：majajia") < html.index("处理人：wangying")
    assert completed.completed_at is not None
    assert timezone.localtime(completed.completed_at).strftime("%Y-%m-%d %H:%M:%S") in html


def test_it_says_nothing_of_completion_before_it(personas: Personas, handler: Client) -> None:
    c = claim(coverage(personas.member, personas.unit_a))
    html = page(handler.get(f"/claims/{c.number}/"))
    assert "待上传" in html and "理赔完成" not in html


def test_it_answers_404_for_another_units_claim_for_every_method(personas: Personas, completed: Claim) -> None:
    other = login_handler(Client(), personas.unit_b)
    for method in ("get", "post", "put", "patch", "delete", "head"):
        assert getattr(other, method)(f"/claims/{completed.number}/").status_code == 404, method
    assert completed.number not in page(other.get("/claims/"))
    mine = login_handler(Client(), personas.unit_a)
    assert mine.post(f"/claims/{completed.number}/").status_code == 405
    assert mine.get("/claims/LP20990101999999/").status_code == 404


def test_it_sends_visitors_and_members_to_log_in(personas: Personas, completed: Claim) -> None:
    member = Client()
    assert personas.member.account is not None
    member.force_login(personas.member.account, backend="django.contrib.auth.backends.ModelBackend")
    for client in (Client(), member):
        for url in ("/claims/", f"/claims/{completed.number}/"):
            response = client.get(url)
            assert response.status_code == 302 and response["Location"] == "/login/", url
        assert client.post("/claims/export/", {}).status_code == 302
    assert not ExportJob.objects.exists()


def test_it_needs_post_to_export(handler: Client) -> None:
    assert handler.get("/claims/export/").status_code == 405
