"""phone_login: the 手机号 + 验证码 rule with its audit rows, for handlers now and members next."""

from typing import Any

import pytest

from zghz.accounts.models import User
from zghz.accounts.services import phone_login, phone_login_account, phone_logout
from zghz.audit.models import AuditEntry
from zghz.conftest import Personas
from zghz.core.errors import DomainError
from zghz.sms.services import code_send
from zghz.units.tests.helpers import code_from_outbox


def _code(phone: str, purpose: str) -> str:
    code_send(phone=phone, purpose=purpose, ip="10.0.0.9")
    return code_from_outbox(phone)


def test_it_logs_in_a_member_with_the_same_rule(personas: Personas, outbox: Any) -> None:
    phone = "13900000001"  # the member persona's phone
    user = phone_login(kind=User.Kind.MEMBER, phone=phone, code=_code(phone, "member_login"),
                       purpose="member_login", portal="member", ip="10.0.0.9", may_log_in=lambda u: True)
    assert user == personas.member.account
    entry = AuditEntry.objects.filter(action="login.success").latest("id")
    assert entry.actor_id == user.pk and entry.detail["portal"] == "member"
    phone_logout(user=user, ip="10.0.0.9", portal="member")
    assert AuditEntry.objects.filter(action="logout", actor_id=user.pk).exists()


def test_it_answers_a_wrong_code_and_a_refused_account_alike(personas: Personas, outbox: Any) -> None:
    phone = personas.unit_a.handler.phone
    messages = []
    for code, allowed in (("000000", True), (None, False)):
        def may_log_in(user: User, ok: bool = allowed) -> bool:
            return ok

        with pytest.raises(DomainError) as e:
            phone_login(kind=User.Kind.HANDLER, phone=phone, code=code or _code(phone, "unit_login"),
                        purpose="unit_login", portal="unit", ip="10.0.0.9", may_log_in=may_log_in)
        messages.append((e.value.field, e.value.status))
    assert messages[0] == messages[1] == ("code", 400)
    assert AuditEntry.objects.filter(action="login.failure", detail__portal="unit").count() == 2
    assert phone_login_account(kind=User.Kind.HANDLER, phone=phone, may_log_in=lambda u: False) is None
    assert phone_login_account(kind=User.Kind.HANDLER, phone="13812345678", may_log_in=lambda u: True) is None
