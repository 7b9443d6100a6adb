"""/api/v1/member/: SMS login to bearer tokens, refresh and logout, the member's coverage and claims with
their filters, a claim's detail with 理赔进度, and the 重疾 document upload — each answer in the shared
error shape, and another member's claim 404."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from zghz.accounts.models import MemberToken
from zghz.accounts.services import member_token_issue
from zghz.audit.models import AuditEntry
from zghz.claims.models import Claim, ClaimEvent
from zghz.claims.tests.review_factories import claim, coverage, image, other_member, plan_year, png
from zghz.conftest import Personas, clear_cache, login_handler
from zghz.units.tests.helpers import code_from_outbox

API = "/api/v1/member"
PHONE = "13900000001"  # the member persona's phone


@pytest.fixture(autouse=True)
def _clean_cache() -> Any:
    clear_cache()
    yield
    clear_cache()


def bearer(token: str) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def token_of(personas: Personas) -> str:
    assert personas.member.account is not None
    return member_token_issue(user=personas.member.account).access_token


def post(client: Client, path: str, data: dict[str, Any], **extra: Any) -> Any:
    return client.post(API + path, data, content_type="application/json", **extra)


# ---------------------------------------------------------------------------------------------------
# Login, refresh, logout


def test_a_member_logs_in_by_sms_and_reads_with_the_token(personas: Personas, outbox: Any) -> None:
    client = Client()
    sent = post(client, "/sms/code", {"phone": PHONE})
    assert sent.status_code == 200 and "验证码已发送" in sent.json()["message"]
    r = post(client, "/login", {"phone": PHONE, "code": code_from_outbox(PHONE)})
    assert r.status_code == 200, r.content
    tokens = r.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 15 * 60
    stored = MemberToken.objects.get(user=personas.member.account)
    assert tokens["access_token"] not in (stored.access_hash, stored.refresh_hash)  # only digests are kept
    assert client.get(API + "/claims", **bearer(tokens["access_token"])).status_code == 200
    assert AuditEntry.objects.filter(action="login.success", detail__portal="member_api",
                                     actor_id=personas.member.account_id).exists()


def test_the_code_answer_is_the_same_for_a_stranger_and_no_sms_leaves(personas: Personas, outbox: Any) -> None:
    client = Client()
    known, stranger = post(client, "/sms/code", {"phone": PHONE}), post(client, "/sms/code", {"phone": "13912345678"})
    assert known.status_code == stranger.status_code == 200 and known.json() == stranger.json()
    assert "13912345678" not in outbox.read_text(encoding="utf-8")
    wrong = post(client, "/login", {"phone": "13912345678", "code": "123456"})
    real_wrong = post(client, "/login", {"phone": PHONE, "code": "000000"})
    assert wrong.status_code == real_wrong.status_code == 400
    assert wrong.json() == real_wrong.json() == {"code": "invalid", "message": "验证码错误，还可再试 4 次"}


def test_a_handler_phone_is_not_a_member_login(personas: Personas, outbox: Any) -> None:
    phone = personas.unit_a.handler.phone
    assert post(Client(), "/sms/code", {"phone": phone}).status_code == 200
    assert not outbox.exists()  # nothing was sent at all


def test_code_sending_keeps_the_sms_limits(personas: Personas, outbox: Any) -> None:
    client = Client()
    assert post(client, "/sms/code", {"phone": PHONE}).status_code == 200
    again = post(client, "/sms/code", {"phone": PHONE})
    assert again.status_code == 429 and again.json()["code"] == "too_many_requests"
    bad = post(client, "/sms/code", {"phone": "12345"})
    assert bad.status_code == 400 and bad.json() == {"code": "invalid", "message": "请填写正确手机号"}


def test_logins_are_throttled_per_address(personas: Personas, settings: Any, db: Any) -> None:
    settings.MEMBER_IP_MAX_FAILED_LOGINS = 3
    client = Client(REMOTE_ADDR="10.1.2.3")
    answers = [post(client, "/login", {"phone": f"1390000{n:04d}", "code": "123456"}).status_code for n in range(4)]
    assert answers == [400, 400, 429, 429]
    refused = post(client, "/login", {"phone": PHONE, "code": "123456"})
    assert refused.json() == {"code": "throttled", "message": "当前网络登录失败次数过多，请 1 小时后再试"}
    # Another address is not affected.
    assert post(Client(REMOTE_ADDR="10.9.9.9"), "/login", {"phone": PHONE, "code": "123456"}).status_code == 400
    assert AuditEntry.objects.filter(action="login.locked", detail__portal="member_api").count() == 1


def test_refresh_replaces_the_pair_and_a_reused_refresh_token_revokes_everything(personas: Personas) -> None:
    assert personas.member.account is not None
    first = member_token_issue(user=personas.member.account)
    client = Client()
    r = post(client, "/token/refresh", {"refresh_token": first.refresh_token})
    assert r.status_code == 200
    second = r.json()
    assert client.get(API + "/claims", **bearer(first.access_token)).status_code == 401
    assert client.get(API + "/claims", **bearer(second["access_token"])).status_code == 200
    reused = post(client, "/token/refresh", {"refresh_token": first.refresh_token})
    assert reused.status_code == 401 and reused.json()["code"] == "invalid_token"
    assert client.get(API + "/claims", **bearer(second["access_token"])).status_code == 401
    assert AuditEntry.objects.filter(action="member_token.reuse").exists()


def test_tokens_expire(personas: Personas) -> None:
    token = token_of(personas)
    MemberToken.objects.update(access_expires_at=timezone.now() - timedelta(seconds=1))
    r = Client().get(API + "/claims", **bearer(token))
    assert r.status_code == 401 and r.json() == {"code": "invalid_token", "message": "登录已失效，请重新登录"}
    expired = MemberToken.objects.get()
    MemberToken.objects.update(refresh_expires_at=timezone.now() - timedelta(seconds=1))
    token_of(personas)  # the next login clears the rows that can authenticate nothing any more
    assert not MemberToken.objects.filter(pk=expired.pk).exists() and MemberToken.objects.count() == 1


def test_logout_revokes_the_token(personas: Personas) -> None:
    token, client = token_of(personas), Client()
    assert post(client, "/logout", {}, **bearer(token)).status_code == 200
    assert client.get(API + "/coverages", **bearer(token)).status_code == 401
    assert AuditEntry.objects.filter(action="logout", detail__portal="member_api").exists()


@pytest.mark.parametrize("auth", ["none", "garbage", "session"])
def test_without_a_token_every_read_is_401(personas: Personas, auth: str) -> None:
    client = Client()
    extra: dict[str, Any] = {}
    if auth == "garbage":
        extra = bearer("zma_nothing")
    if auth == "session":  # a logged-in browser session is not an API login
        assert personas.member.account is not None
        client.force_login(personas.member.account, backend="django.contrib.auth.backends.ModelBackend")
    r = client.get(API + "/coverages", **extra)
    assert r.status_code == 401
    assert r.json() == ({"code": "invalid_token", "message": "登录已失效，请重新登录"} if auth == "garbage"
                        else {"code": "unauthorized", "message": "请先登录"})


def test_a_staff_or_handler_account_gets_no_member_token(personas: Personas) -> None:
    from zghz.core.errors import DomainError

    for user in (personas.clerk, personas.unit_a.handler):
        with pytest.raises(DomainError):
            member_token_issue(user=user)


# ---------------------------------------------------------------------------------------------------
# 参保记录, 理赔记录, 理赔详情


@pytest.fixture
def mine(personas: Personas) -> dict[str, Any]:
    py = plan_year()
    cov = coverage(personas.member, personas.unit_a, py)
    stranger = other_member()
    return {"cov": cov, "pending": claim(cov), "theirs": claim(coverage(stranger, personas.unit_b, py)),
            "stranger": stranger, "plan_id": py.plan_id, "year": cov.start_date.year}


def test_my_coverages_and_claims_with_filters(personas: Personas, mine: dict[str, Any]) -> None:
    client, auth = Client(), bearer(token_of(personas))
    cov = client.get(API + "/coverages", **auth).json()
    assert [c["work_order_number"] for c in cov["items"]] == [mine["cov"].work_order_number]
    assert cov["plans"] == [{"id": mine["plan_id"], "name": "三合一"}] and mine["year"] in cov["years"]
    claims = client.get(API + "/claims", {"plan_id": mine["plan_id"], "year": mine["year"]}, **auth).json()
    assert [c["number"] for c in claims["items"]] == [mine["pending"].number]
    assert claims["items"][0]["status"] == "待上传" and claims["items"][0]["kind"] == "重疾"
    assert client.get(API + "/claims", {"year": 2001}, **auth).json()["items"] == []
    assert client.get(API + "/coverages", {"plan_id": mine["plan_id"] + 99}, **auth).json()["items"] == []
    bad = client.get(API + "/claims", {"year": "去年"}, **auth)
    assert bad.status_code == 422 and bad.json() == {"code": "invalid_request", "message": "请求参数不正确：year"}


def test_claim_detail_masks_and_shows_progress(personas: Personas, mine: dict[str, Any]) -> None:
    c: Claim = mine["pending"]
    Claim.objects.filter(pk=c.pk).update(status=Claim.Status.COMPLETED, completed_at=timezone.now())
    ClaimEvent.objects.create(claim=c, node=ClaimEvent.Node.INITIAL, decision=ClaimEvent.Decision.AGREE,
                              actor_label="majajia", at=timezone.now())
    ClaimEvent.objects.create(claim=c, node=ClaimEvent.Node.UPLOAD, actor_label="139****0001", at=timezone.now())
    body = Client().get(f"{API}/claims/{c.number}", **bearer(token_of(personas))).json()
    assert body["phone"] == "139****0001" and body["bank_card"] == "6228 **** **** 0018"
    assert body["name"] == "张伟" and body["amount"] == "15000.00" and body["status"] == "已完成"
    assert [(p["node"], p["decision"], p["actor"]) for p in body["progress"]] == [
        ("系统自动审核", "", "系统"), ("经办初审", "同意", "majajia")]  # uploads are not 理赔进度
    assert body["done"] and body["done_notice"].startswith("您参加的“三合一”互助项目理赔流程已完结")
    assert body["upload_groups"] == []


def test_another_members_claim_is_404(personas: Personas, mine: dict[str, Any]) -> None:
    client, auth = Client(), bearer(token_of(personas))
    theirs = mine["theirs"].number
    r = client.get(f"{API}/claims/{theirs}", **auth)
    assert r.status_code == 404 and r.json() == {"code": "not_found", "message": "记录不存在"}
    up = client.post(f"{API}/claims/{theirs}/documents", {"group": "exam_report", "files": [image()]}, **auth)
    assert up.status_code == 404 and not mine["theirs"].documents.exists()
    assert client.get(f"{API}/claims/LP00000000000000", **auth).status_code == 404


def test_a_member_without_a_person_is_404(personas: Personas, mine: dict[str, Any]) -> None:
    token = token_of(personas)
    personas.member.account = None
    personas.member.save()
    assert Client().get(API + "/claims", **bearer(token)).status_code == 404


def test_upload_moves_a_pending_claim_to_initial_review(personas: Personas, mine: dict[str, Any], blobs: Any) -> None:
    client, auth, c = Client(), bearer(token_of(personas)), mine["pending"]
    assert [g["code"] for g in client.get(f"{API}/claims/{c.number}", **auth).json()["upload_groups"]] == [
        "exam_report", "discharge"]
    first = client.post(f"{API}/claims/{c.number}/documents", {"group": "exam_report",
                                                                "files": [image("1.jpg"), image("2.jpg")]}, **auth)
    assert first.status_code == 200 and first.json()["status"] == "待上传"
    second = client.post(f"{API}/claims/{c.number}/documents", {"group": "discharge", "files": [png()]}, **auth)
    assert second.status_code == 200, second.content
    assert second.json()["status"] == "待初审" and second.json()["upload_groups"] == []
    assert c.documents.count() == 3
    assert AuditEntry.objects.filter(action="claim.upload", object_id=str(c.pk)).count() == 2
    late = client.post(f"{API}/claims/{c.number}/documents", {"group": "discharge", "files": [png()]}, **auth)
    assert late.status_code == 403 and "无需上传材料" in late.json()["message"]


def test_upload_refuses_bad_files_and_stores_nothing(personas: Personas, mine: dict[str, Any], blobs: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client, auth, c = Client(), bearer(token_of(personas)), mine["pending"]
    fake = SimpleUploadedFile("报告.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    r = client.post(f"{API}/claims/{c.number}/documents", {"group": "exam_report", "files": [image(), fake]}, **auth)
    assert r.status_code == 400 and r.json()["message"].startswith("报告.jpg：")
    assert not c.documents.exists() and blobs() == []
    missing = client.post(f"{API}/claims/{c.number}/documents", {"group": "exam_report"}, **auth)
    assert missing.status_code == 422 and missing.json()["code"] == "invalid_request"
    offline = client.post(f"{API}/claims/{c.number}/documents", {"group": "id_copy", "files": [image()]}, **auth)
    assert offline.status_code == 422  # members upload only 检查报告单 and 出院记录


def test_the_api_ignores_a_handler_session(personas: Personas, mine: dict[str, Any]) -> None:
    client = login_handler(Client(), personas.unit_a)
    assert client.get(f"{API}/claims/{mine['pending'].number}").status_code == 401


def test_the_openapi_document_declares_every_error(db: Any) -> None:
    doc = Client().get("/api/v1/openapi.json").json()
    ops = {(path, method): op for path, item in doc["paths"].items() for method, op in item.items()}
    assert ("/api/v1/member/claims/{claim_number}/documents", "post") in ops
    for (path, method), op in ops.items():
        assert "200" in op["responses"], (path, method)
        if op.get("parameters") or op.get("requestBody"):
            assert "422" in op["responses"], (path, method)
        if op.get("security"):
            assert "401" in op["responses"], (path, method)
        for status, response in op["responses"].items():
            assert response.get("content"), (path, method, status)
