"""member_register, member_login and member_code_send: the H5's account rules (SPEC §8)."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from zghz.accounts.models import User
from zghz.audit.models import AuditEntry
from zghz.conftest import Personas, make_id
from zghz.core.crypto import blind_index
from zghz.core.errors import DomainError
from zghz.core.idcard import birth_date
from zghz.members.agreements import current
from zghz.members.models import MemberConsent, Person
from zghz.members.registration import MISMATCH, member_code_send, member_login, member_may_log_in, member_register
from zghz.sms.models import SmsMessage, VerificationCode
from zghz.units.tests.helpers import code_from_outbox

PHONE = "13912345601"
ID = make_id("32020319860203152")


def _person(name: str = "李娜", id_number: str = ID, phone: str = PHONE) -> Person:
    return Person.objects.create(name=name, id_number=id_number, id_hash=blind_index(id_number, purpose="id"),
                                 birth_date=birth_date(id_number), phone=phone,
                                 phone_hash=blind_index(phone, purpose="phone"))


def _code(phone: str = PHONE, purpose: str = "member_register") -> str:
    # Earlier codes of this test are made a minute older, so the 60-second interval lets this one out.
    VerificationCode.objects.update(created_at=F("created_at") - timedelta(seconds=61))
    member_code_send(phone=phone, purpose=purpose, ip="10.1.0.1")
    return code_from_outbox(phone)


def _register(**kw: Any) -> User:
    args: dict[str, Any] = {"name": "李娜", "id_number": ID, "phone": PHONE, "accept_privacy": True,
                            "accept_service": True, "ip": "10.1.0.1"}
    args.update(kw)
    if "code" not in args:
        args["code"] = _code(args["phone"])
    return member_register(**args)


def test_it_links_the_matching_person_and_stores_both_consents(outbox: Any) -> None:
    person = _person()
    user = _register(name=" 李娜 ", id_number=ID.lower())
    person.refresh_from_db()
    assert person.account == user and user.kind == User.Kind.MEMBER and user.phone == PHONE
    consents = {c.kind: c for c in MemberConsent.objects.filter(person=person, account=user)}
    assert set(consents) == {"privacy", "service"}
    assert consents["privacy"].version == current("privacy").version
    assert consents["service"].version == current("service").version
    assert all(c.ip == "10.1.0.1" and c.accepted_at is not None for c in consents.values())
    entry = AuditEntry.objects.get(action="member.register", result="ok")
    assert entry.actor_id == user.pk and entry.detail["consents"] == {"privacy": "2026.1", "service": "2026.1"}


def test_it_normalises_the_name_like_the_roster(outbox: Any) -> None:
    person = _person(name="阿依古丽·买买提")
    _register(name="阿依古丽.买买提")
    person.refresh_from_db()
    assert person.account is not None


@pytest.mark.parametrize("change", [
    {"name": "李丽"},  # another name
    {"id_number": make_id("32020319860203153")},  # an ID nobody has
    {"phone": "13912345699"},  # not the phone on the roster
])
def test_it_answers_every_mismatch_with_the_same_message(outbox: Any, change: dict[str, str]) -> None:
    person = _person()
    with pytest.raises(DomainError) as e:
        _register(**change)
    assert (e.value.message, e.value.code, e.value.field) == (str(MISMATCH), "mismatch", None)
    assert e.value.message == "信息不匹配，请联系单位经办人"
    person.refresh_from_db()
    assert person.account is None and not MemberConsent.objects.exists()
    entry = AuditEntry.objects.get(action="member.register")
    assert entry.result == "mismatch" and ID not in str(entry.detail) and "李" not in str(entry.detail)


def test_it_does_the_same_work_whether_or_not_the_id_exists(outbox: Any) -> None:
    _person()
    counts = []
    for change in ({"name": "李丽"}, {"id_number": make_id("32020319860203153")}):
        code = _code()
        with CaptureQueriesContext(connection) as queries, pytest.raises(DomainError):
            _register(code=code, **change)
        counts.append([q["sql"].split(" SET ")[0].split(" WHERE ")[0].split(" VALUES ")[0] for q in queries.captured_queries])
    assert counts[0] == counts[1]


def test_it_refuses_a_mismatch_before_reading_anything_without_the_code(outbox: Any) -> None:
    _person()
    with pytest.raises(DomainError) as e:
        _register(code="000000")
    assert e.value.field == "code"
    assert not AuditEntry.objects.filter(action="member.register").exists()


def test_it_needs_both_ticks_and_keeps_the_code(outbox: Any) -> None:
    person = _person()
    code = _code()
    for ticks in ({"accept_privacy": False}, {"accept_service": False}):
        with pytest.raises(DomainError) as e:
            _register(code=code, **ticks)
        assert e.value.field == "consent" and "隐私协议" in e.value.message
    _register(code=code)  # the code was not spent by the refused tries
    person.refresh_from_db()
    assert person.account is not None


@pytest.mark.parametrize(("change", "field"), [({"name": " "}, "name"), ({"id_number": "320203198602031521"}, "id_number"),
                                               ({"phone": "1391234"}, "phone")])
def test_it_points_at_the_field_to_fix(outbox: Any, change: dict[str, str], field: str) -> None:
    with pytest.raises(DomainError) as e:
        _register(code="123456", **change)
    assert e.value.field == field


def test_it_moves_the_person_to_the_phone_of_a_later_roster(outbox: Any) -> None:
    person = _person()
    first = _register()
    Person.objects.filter(pk=person.pk).update(phone="13912345602", phone_hash=blind_index("13912345602", purpose="phone"))
    second = _register(phone="13912345602")
    person.refresh_from_db()
    assert person.account == second and second != first
    assert member_may_log_in(second) and not member_may_log_in(first)


def test_it_refuses_a_phone_already_bound_to_another_person(outbox: Any, personas: Personas) -> None:
    # Two people of one family with the same phone on their rosters: the first keeps the account.
    _person(phone="13900000001")
    with pytest.raises(DomainError) as e:
        _register(phone="13900000001")
    assert "已绑定" in e.value.message
    personas.member.refresh_from_db()
    assert personas.member.account is not None


def test_it_logs_in_a_registered_member_and_refuses_others_alike(outbox: Any, personas: Personas) -> None:
    user = member_login(phone="13900000001", code=_code("13900000001", "member_login"), ip="10.1.0.1")
    assert user == personas.member.account
    with pytest.raises(DomainError) as wrong:
        member_login(phone="13900000001", code="000000", ip="10.1.0.1")
    with pytest.raises(DomainError) as unknown:
        member_login(phone="13912340000", code="000000", ip="10.1.0.1")
    assert wrong.value.field == unknown.value.field == "code"
    assert unknown.value.message == "验证码错误或已过期，请重新获取"


def test_it_delivers_login_codes_only_to_members_with_the_same_answer(outbox: Any, personas: Personas) -> None:
    member_code_send(phone="13900000001", purpose="member_login", ip="10.1.0.2")
    member_code_send(phone="13912340000", purpose="member_login", ip="10.1.0.2")  # nobody's: no SMS, no error
    member_code_send(phone="13912340001", purpose="member_register", ip="10.1.0.2")  # anyone may register
    sent = set(SmsMessage.objects.values_list("phone_hash", flat=True))
    assert sent == {blind_index("13900000001", purpose="phone"), blind_index("13912340001", purpose="phone")}


def test_it_keeps_the_unit_portals_code_limits(outbox: Any) -> None:
    member_code_send(phone=PHONE, purpose="member_register", ip="10.1.0.3")
    with pytest.raises(DomainError) as e:
        member_code_send(phone=PHONE, purpose="member_register", ip="10.1.0.3")
    assert e.value.status == 429 and "60 秒" in e.value.message
    with pytest.raises(DomainError):
        member_code_send(phone=PHONE, purpose="unit_login", ip="10.1.0.3")


def test_a_stale_or_forged_phone_proof_proves_nothing(monkeypatch: Any) -> None:
    from django.core import signing

    from zghz.members import registration

    proof = signing.dumps(PHONE, salt=registration.PROOF_SALT)
    assert registration.proven_phone(proof) == PHONE
    assert registration.proven_phone(signing.dumps(PHONE, salt="another purpose")) == ""
    assert registration.proven_phone(proof[:-2] + "xx") == ""
    monkeypatch.setattr(registration, "PROOF_MAX_AGE", -1)
    assert registration.proven_phone(proof) == ""
