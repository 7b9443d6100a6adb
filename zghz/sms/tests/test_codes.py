"""SMS verification codes exactly as SPEC §2 says: 6 digits from a CSPRNG, stored hashed, valid 5 minutes,
single use, dead after 5 wrong tries, tied to phone + purpose; per phone at most 1 per 60 s, 5 per hour,
10 per day; per IP 20 per hour; over the limit HTTP 429 with a clear message and no SMS sent."""

import hashlib
import re
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from zghz.audit.models import AuditEntry
from zghz.core.crypto import blind_index
from zghz.core.errors import DomainError
from zghz.sms.models import SmsMessage, VerificationCode
from zghz.sms.services import TOO_MANY_TRIES, WRONG_CODE, code_check, code_send

from .conftest import Outbox

PHONE, OTHER = "13812345678", "13987654321"


@pytest.fixture
def send(db: Any, sms_outbox: Outbox, committed: Callable[..., Any]) -> Callable[..., str | None]:
    """Asks for a code and returns it as the phone received it (None when nothing was delivered)."""

    def run(phone: str = PHONE, purpose: str = "unit_login", ip: str = "10.0.0.1",
            deliver: bool = True) -> str | None:
        before = len(sms_outbox.lines())
        committed(code_send, phone=phone, purpose=purpose, ip=ip, deliver=deliver)
        lines = sms_outbox.lines()
        return sms_outbox.code_for(phone) if len(lines) > before else None

    return run


def _refused(send: Callable[..., Any], **kw: Any) -> DomainError:
    messages, codes = SmsMessage.objects.count(), VerificationCode.objects.count()
    with pytest.raises(DomainError) as e:
        send(**kw)
    assert e.value.status == 429 and e.value.code == "too_many_requests"
    assert SmsMessage.objects.count() == messages and VerificationCode.objects.count() == codes
    return e.value


def test_it_sends_six_digit_codes_and_stores_only_a_keyed_hash(send: Callable[..., Any], clock: Any,
                                                                 sms_outbox: Outbox) -> None:
    codes = []
    for i in range(12):
        code = send(phone=f"1390000{i:04d}")
        assert code is not None and re.fullmatch(r"\d{6}", code)
        codes.append(code)
    assert len(set(codes)) > 1  # not a constant
    line = sms_outbox.lines()[-1]
    assert f"您的验证码为{codes[-1]}，5分钟内有效" in line["text"]

    row = VerificationCode.objects.get(phone_hash=blind_index("13900000011", purpose="phone"))
    assert re.fullmatch(r"[0-9a-f]{64}", row.code_hash)
    stored = [str(v) for v in VerificationCode.objects.filter(pk=row.pk).values().get().values()]
    assert not any(codes[-1] in v for v in stored if v != row.code_hash)
    phone_hash = blind_index("13900000011", purpose="phone")
    unkeyed = {hashlib.sha256(s.encode()).hexdigest() for s in
               (codes[-1], f"{phone_hash}:unit_login:{codes[-1]}", f"13900000011:unit_login:{codes[-1]}")}
    assert row.code_hash not in unkeyed  # six digits hashed without a key fall to a million guesses


def test_it_keeps_the_code_out_of_the_stored_sms(send: Callable[..., Any], clock: Any) -> None:
    code = send()
    msg = SmsMessage.objects.get()
    assert msg.status == SmsMessage.Status.SENT
    assert code not in msg.text and "******" in msg.text and msg.body == ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM sms_smsmessage")
        assert not any(code in str(cell) for cell in cursor.fetchone())


def test_it_accepts_a_code_within_five_minutes(send: Callable[..., Any], clock: Any) -> None:
    code = send()
    clock.shift(timedelta(minutes=4, seconds=59))
    code_check(phone=PHONE, purpose="unit_login", code=code)
    assert VerificationCode.objects.get().used_at is not None


def test_it_refuses_a_code_after_five_minutes(send: Callable[..., Any], clock: Any) -> None:
    code = send()
    clock.shift(timedelta(minutes=5, seconds=1))
    with pytest.raises(DomainError) as e:
        code_check(phone=PHONE, purpose="unit_login", code=code)
    assert e.value.message == WRONG_CODE and e.value.field == "code"


def test_it_accepts_a_code_only_once(send: Callable[..., Any], clock: Any) -> None:
    code = send()
    code_check(phone=PHONE, purpose="unit_login", code=code)
    with pytest.raises(DomainError, match="验证码错误或已过期"):
        code_check(phone=PHONE, purpose="unit_login", code=code)


def test_it_kills_a_code_after_five_wrong_tries(send: Callable[..., Any], clock: Any) -> None:
    code = send()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    answers = []
    for _ in range(5):
        with pytest.raises(DomainError) as e:
            code_check(phone=PHONE, purpose="unit_login", code=wrong)
        answers.append(e.value.message)
    # A wrong code still good for more tries says how many are left instead of "请重新获取".
    assert answers == ["验证码错误，还可再试 4 次", "验证码错误，还可再试 3 次", "验证码错误，还可再试 2 次",
                       "验证码错误，还可再试 1 次", TOO_MANY_TRIES]
    with pytest.raises(DomainError) as e:
        code_check(phone=PHONE, purpose="unit_login", code=code)
    assert e.value.message == TOO_MANY_TRIES
    assert VerificationCode.objects.get().used_at is None


def test_it_still_accepts_the_right_code_after_four_wrong_tries(send: Callable[..., Any], clock: Any) -> None:
    code = send()
    for bad in ("000000" if code != "000000" else "111111", "12345", "abcdef", ""):
        with pytest.raises(DomainError, match="验证码错误，还可再试"):
            code_check(phone=PHONE, purpose="unit_login", code=bad)
    code_check(phone=PHONE, purpose="unit_login", code=f" {code} ")
    row = VerificationCode.objects.get()
    assert row.used_at is not None and row.failed_attempts == 4


def test_it_ties_a_code_to_its_phone_and_purpose(send: Callable[..., Any], clock: Any) -> None:
    code = send(purpose="unit_register")
    with pytest.raises(DomainError, match="验证码错误或已过期"):
        code_check(phone=PHONE, purpose="unit_login", code=code)  # a register code does not log in
    with pytest.raises(DomainError, match="验证码错误或已过期"):
        code_check(phone=OTHER, purpose="unit_register", code=code)
    code_check(phone=PHONE, purpose="unit_register", code=code)


def test_it_uses_only_the_latest_code(send: Callable[..., Any], clock: Any) -> None:
    first = send()
    clock.shift(timedelta(seconds=61))
    second = send()
    if first != second:
        with pytest.raises(DomainError):
            code_check(phone=PHONE, purpose="unit_login", code=first)
    code_check(phone=PHONE, purpose="unit_login", code=second)


def test_it_allows_one_code_per_phone_per_minute(send: Callable[..., Any], clock: Any) -> None:
    send()
    clock.shift(timedelta(seconds=59))
    error = _refused(send)
    assert "60 秒" in error.message
    _refused(send, purpose="unit_register")  # the limit is per phone, whatever the purpose
    send(phone=OTHER)
    clock.shift(timedelta(seconds=2))
    assert send() is not None


def test_it_allows_five_codes_per_phone_per_hour(send: Callable[..., Any], clock: Any) -> None:
    for _ in range(5):
        assert send() is not None
        clock.shift(timedelta(seconds=61))
    error = _refused(send)
    assert "1 小时" in error.message and "上限" in error.message
    clock.shift(timedelta(minutes=56))  # the first code is now more than an hour old
    assert send() is not None


def test_it_allows_ten_codes_per_phone_per_day(send: Callable[..., Any], clock: Any) -> None:
    for _ in range(10):
        assert send() is not None
        clock.shift(timedelta(minutes=61))
    error = _refused(send)
    assert "今日" in error.message
    clock.shift(timedelta(hours=14))  # 24 hours after the first
    assert send() is not None


def test_it_allows_twenty_codes_per_ip_per_hour(send: Callable[..., Any], clock: Any) -> None:
    for i in range(20):
        assert send(phone=f"1370000{i:04d}", ip="198.51.100.1") is not None
    error = _refused(send, phone="13700009999", ip="198.51.100.1")
    assert "当前网络" in error.message
    assert send(phone="13700009999", ip="198.51.100.2") is not None
    clock.shift(timedelta(minutes=61))
    assert send(phone="13700009998", ip="198.51.100.1") is not None


def test_it_audits_a_refused_request(send: Callable[..., Any], clock: Any) -> None:
    send(ip="192.0.2.5")
    _refused(send, ip="192.0.2.5")
    refused = AuditEntry.objects.get(action="sms.code_refused")
    assert refused.result == "refused" and refused.ip == "192.0.2.5"
    assert AuditEntry.objects.filter(action="sms.code_sent").count() == 1


def test_it_counts_an_undelivered_code_against_the_limits_but_sends_nothing(
    send: Callable[..., Any], clock: Any, sms_outbox: Outbox
) -> None:
    assert send(deliver=False) is None
    assert SmsMessage.objects.count() == 0 and sms_outbox.lines() == []
    assert VerificationCode.objects.get().delivered is False
    _refused(send)  # a registered request right after is still limited
    clock.shift(timedelta(seconds=61))
    assert send() is not None


def test_it_refuses_a_bad_phone_or_purpose(send: Callable[..., Any]) -> None:
    for phone, purpose in [("1381234567", "unit_login"), ("23812345678", "unit_login"),
                           ("１３８１２３４５６７８", "unit_login"), (PHONE, "staff_login")]:
        with pytest.raises(DomainError) as e:
            send(phone=phone, purpose=purpose)
        assert e.value.status == 400
    assert VerificationCode.objects.count() == 0


def _in_threads(n: int, fn: Callable[[int], Any]) -> list[Any]:
    results: list[Any] = [None] * n
    barrier = threading.Barrier(n)

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = fn(i)
        except Exception as e:
            results[i] = e
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.postgresql
def test_it_counts_parallel_wrong_tries_exactly(transactional_db: None, postgresql: None, sms_outbox: Outbox) -> None:
    code_send(phone=PHONE, purpose="unit_login", ip="10.0.0.1")
    code = sms_outbox.code_for(PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    results = _in_threads(12, lambda i: code_check(phone=PHONE, purpose="unit_login", code=wrong))
    assert all(isinstance(r, DomainError) for r in results)
    assert VerificationCode.objects.get().failed_attempts == 5
    with pytest.raises(DomainError, match="次数过多"):
        code_check(phone=PHONE, purpose="unit_login", code=code)


@pytest.mark.postgresql
def test_it_accepts_a_code_once_under_parallel_submits(transactional_db: None, postgresql: None, sms_outbox: Outbox) -> None:
    code_send(phone=PHONE, purpose="unit_login", ip="10.0.0.1")
    code = sms_outbox.code_for(PHONE)
    results = _in_threads(8, lambda i: code_check(phone=PHONE, purpose="unit_login", code=code))
    assert sum(r is None for r in results) == 1


@pytest.mark.postgresql
def test_it_counts_parallel_requests_one_at_a_time(transactional_db: None, postgresql: None, sms_outbox: Outbox) -> None:
    same_phone = _in_threads(6, lambda i: code_send(phone=PHONE, purpose="unit_login", ip=f"10.0.1.{i}"))
    assert sum(r is None for r in same_phone) == 1
    same_ip = _in_threads(25, lambda i: code_send(phone=f"1360000{i:04d}", purpose="unit_login",
                                                  ip="10.0.2.1"))
    assert sum(r is None for r in same_ip) == 20
    assert all(isinstance(r, DomainError) and r.status == 429 for r in same_ip if r is not None)
    assert len(sms_outbox.lines()) == 21
