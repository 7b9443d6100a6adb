"""注册, 登录, 获取验证码, 退出 and host-app sign-in of the member H5."""

import secrets
import time
from typing import Any

from django.test import Client

from zghz.audit.models import AuditEntry
from zghz.conftest import Personas, login_member, make_id
from zghz.core.crypto import blind_index
from zghz.core.idcard import birth_date
from zghz.hostapps.services import host_app_create, ticket_signature
from zghz.members.models import MemberConsent, Person
from zghz.units.tests.helpers import code_from_outbox

PHONE = "13912345601"
ID = make_id("32020319860203152")


def _person() -> Person:
    return Person.objects.create(name="李娜", id_number=ID, id_hash=blind_index(ID, purpose="id"),
                                 birth_date=birth_date(ID), phone=PHONE, phone_hash=blind_index(PHONE, purpose="phone"))


def _code(client: Client, phone: str, purpose: str) -> str:
    r = client.post("/m/sms/code/", {"phone": phone, "purpose": purpose})
    assert r.status_code == 200 and r.json()["ok"], r.content
    return code_from_outbox(phone)


def _is_member(client: Client) -> bool:
    return client.get("/m/").status_code == 200


def test_it_shows_the_manuals_registration_form(client: Client, db: Any) -> None:
    body = client.get("/m/register/").content.decode()
    for label in ("姓名", "身份证号", "手机号", "验证码", "获取验证码", "隐私协议", "服务声明", "注册"):
        assert label in body
    assert "版本 2026.1" in body  # both texts are there to read before ticking


def test_it_registers_and_logs_in_a_matching_person(client: Client, outbox: Any) -> None:
    person = _person()
    code = _code(client, PHONE, "member_register")
    r = client.post("/m/register/", {"name": "李娜", "id_number": ID, "phone": PHONE, "code": code,
                                     "accept_privacy": "on", "accept_service": "on"})
    assert r.status_code == 302 and r["Location"] == "/m/"
    person.refresh_from_db()
    assert person.account is not None and MemberConsent.objects.filter(person=person).count() == 2
    assert _is_member(client)


def test_it_shows_the_mismatch_message_and_keeps_what_was_typed(client: Client, outbox: Any) -> None:
    _person()
    code = _code(client, PHONE, "member_register")
    r = client.post("/m/register/", {"name": "李丽", "id_number": ID, "phone": PHONE, "code": code,
                                     "accept_privacy": "on", "accept_service": "on"})
    body = r.content.decode()
    assert r.status_code == 200 and "信息不匹配，请联系单位经办人" in body
    assert 'value="李丽"' in body and 'value="13912345601"' in body
    assert not _is_member(client)


def test_it_asks_for_both_ticks(client: Client, outbox: Any) -> None:
    _person()
    r = client.post("/m/register/", {"name": "李娜", "id_number": ID, "phone": PHONE, "code": "123456",
                                     "accept_privacy": "on"})
    assert r.status_code == 200 and "请阅读并勾选同意隐私协议和服务声明" in r.content.decode()


def test_it_logs_in_and_goes_back_to_the_page_asked_for(client: Client, personas: Personas, outbox: Any) -> None:
    r = client.get("/m/claims/")
    assert r.status_code == 302 and r["Location"] == "/m/login/?next=/m/claims/"
    code = _code(client, "13900000001", "member_login")
    r = client.post("/m/login/", {"phone": "13900000001", "code": code, "next": "/m/claims/"})
    assert r.status_code == 302 and r["Location"] == "/m/claims/"
    assert AuditEntry.objects.filter(action="login.success", detail__portal="member").exists()


def test_it_never_sends_a_login_elsewhere(client: Client, personas: Personas, outbox: Any) -> None:
    code = _code(client, "13900000001", "member_login")
    r = client.post("/m/login/", {"phone": "13900000001", "code": code, "next": "//evil.example/m/"})
    assert r["Location"] == "/m/"


def test_it_answers_a_wrong_code_on_the_form(client: Client, personas: Personas, outbox: Any) -> None:
    r = client.post("/m/login/", {"phone": "13900000001", "code": "000000"})
    assert r.status_code == 200 and "验证码错误或已过期，请重新获取" in r.content.decode()
    assert not _is_member(client)


def test_the_code_endpoint_keeps_the_limits(client: Client, db: Any, outbox: Any) -> None:
    assert client.post("/m/sms/code/", {"phone": PHONE, "purpose": "member_register"}).status_code == 200
    again = client.post("/m/sms/code/", {"phone": PHONE, "purpose": "member_register"})
    assert again.status_code == 429 and "60 秒" in again.json()["message"]
    assert client.post("/m/sms/code/", {"phone": PHONE, "purpose": "unit_login"}).status_code == 400
    assert client.post("/m/sms/code/", {"phone": "123", "purpose": "member_login"}).status_code == 400
    assert client.get("/m/sms/code/").status_code == 405


def test_it_logs_out(client: Client, personas: Personas) -> None:
    login_member(client, personas.member)
    assert client.get("/m/logout/").status_code == 405
    r = client.post("/m/logout/")
    assert r.status_code == 302 and r["Location"] == "/m/login/"
    assert not _is_member(client)
    assert AuditEntry.objects.filter(action="logout", detail__portal="member").exists()


def _ticket(key: str, phone: str = "13900000001") -> dict[str, str]:
    ts, nonce = str(int(time.time())), secrets.token_urlsafe(16)
    return {"app": "lingxi", "phone": phone, "ts": ts, "nonce": nonce,
            "sig": ticket_signature(key, phone=phone, ts=ts, nonce=nonce)}


def test_a_host_app_ticket_logs_the_member_in_once(client: Client, personas: Personas) -> None:
    ticket = _ticket(host_app_create(code="lingxi", name="灵锡").key)
    r = client.get("/m/ticket/", {**ticket, "next": "/m/claims/"})
    assert r.status_code == 302 and r["Location"] == "/m/claims/"
    assert _is_member(client)
    entry = AuditEntry.objects.get(action="login.success")
    assert entry.detail == {"portal": "member", "via": "ticket", "app": "lingxi"}
    replay = Client()
    r = replay.get("/m/ticket/", ticket, follow=True)
    assert "登录凭证无效或已过期，请从应用内重新进入" in r.content.decode()
    assert not _is_member(replay)


def test_a_forged_ticket_logs_nobody_in(client: Client, personas: Personas) -> None:
    host_app_create(code="lingxi", name="灵锡")
    r = client.get("/m/ticket/", _ticket("guessed key"))
    assert r.status_code == 302 and r["Location"] == "/m/login/"
    assert not _is_member(client)


def test_a_ticket_for_an_unregistered_phone_registers_without_a_code(client: Client, db: Any) -> None:
    person = _person()
    ticket = _ticket(host_app_create(code="lingxi", name="灵锡").key, phone=PHONE)
    r = client.get("/m/ticket/", ticket)
    assert r.status_code == 302 and r["Location"] == "/m/register/?next=/m/"
    assert not _is_member(client)
    body = client.get(r["Location"]).content.decode()
    assert "已由应用验证，无需验证码" in body and f'value="{PHONE}" readonly' in body
    r = client.post("/m/register/", {"name": "李娜", "id_number": ID, "phone": PHONE, "accept_privacy": "on",
                                     "accept_service": "on"})
    assert r.status_code == 302 and _is_member(client)
    person.refresh_from_db()
    assert person.account is not None and person.account.phone == PHONE


def test_the_ticket_proof_covers_only_its_own_phone(client: Client, db: Any) -> None:
    Person.objects.create(name="王强", id_number=make_id("32020319860203161"),
                          id_hash=blind_index(make_id("32020319860203161"), purpose="id"),
                          birth_date=birth_date(make_id("32020319860203161")), phone="13912345609",
                          phone_hash=blind_index("13912345609", purpose="phone"))
    client.get("/m/ticket/", _ticket(host_app_create(code="lingxi", name="灵锡").key, phone=PHONE))
    r = client.post("/m/register/", {"name": "王强", "id_number": make_id("32020319860203161"), "phone": "13912345609",
                                     "accept_privacy": "on", "accept_service": "on"})
    assert r.status_code == 200 and "验证码错误或已过期，请重新获取" in r.content.decode()
    assert not _is_member(client)
