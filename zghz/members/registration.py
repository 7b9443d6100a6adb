"""Member accounts of the H5 (SPEC §8): 注册 by 姓名 + 身份证号 + 手机号 + 验证码 with the 隐私协议 and
服务声明 ticked, and 登录 by 手机号 + 验证码 (the unit portal's rule, with the member's kind and purposes).

Nobody can read a stranger's claims with a name and an ID number: registration needs the SMS code of
the phone the person's roster carries, and every way of not matching (unknown ID, another name, another
phone) gets one answer after the same work, so the answer tells nothing about who is in the scheme.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zghz.accounts.models import User
from zghz.accounts.services import phone_account, phone_login, phone_login_account
from zghz.audit.services import record
from zghz.core.crypto import blind_index
from zghz.core.errors import DomainError
from zghz.core.idcard import check_id_number, is_valid_phone, normalise_id
from zghz.core.names import normalise_name
from zghz.hostapps.services import ticket_verify
from zghz.sms.services import code_check, code_send

from .agreements import current_all
from .models import MemberConsent, Person
from .selectors import id_hash_of

REGISTER = "member_register"
LOGIN = "member_login"
PORTAL = "member"
MISMATCH = gettext_lazy("信息不匹配，请联系单位经办人")
# Compared against when the ID is unknown, so that a miss costs what a hit costs.
_NOBODY = ("\0", "\0" * 64)
PROOF_SALT = "zghz.members.phone-proof"
PROOF_MAX_AGE = 600


def member_may_log_in(user: User) -> bool:
    """A member account logs in while a person of the scheme is linked to it."""
    return Person.objects.filter(account=user).exists()


def member_code_send(*, phone: str, purpose: str, ip: str) -> None:
    """获取验证码 for 注册 or 登录, with the unit portal's limits. A login code is only delivered to a
    registered member, a registration code to any phone (it is the registrant's own); the answer is the
    same either way."""
    if purpose not in (REGISTER, LOGIN):
        raise DomainError(_("验证码用途不正确"))
    phone = phone.strip()
    deliver = True
    if purpose == LOGIN and is_valid_phone(phone):
        deliver = phone_login_account(kind=User.Kind.MEMBER, phone=phone, may_log_in=member_may_log_in) is not None
    code_send(phone=phone, purpose=purpose, ip=ip, deliver=deliver)


def member_login(*, phone: str, code: str, ip: str) -> User:
    """登录 by 手机号 + 验证码; a wrong code and an unregistered phone get the same answer."""
    return phone_login(kind=User.Kind.MEMBER, phone=phone.strip(), code=code, purpose=LOGIN, portal=PORTAL, ip=ip,
                       may_log_in=member_may_log_in)


def _matching_person(*, name: str, id_number: str, phone: str) -> Person | None:
    """The person whose ID, name and roster phone are all these, or None; the same work either way."""
    person = Person.objects.filter(id_hash=id_hash_of(id_number)).only("id", "name", "phone_hash", "account_id").first()
    known_name, known_phone = (normalise_name(person.name), person.phone_hash) if person else _NOBODY
    same_name = hmac.compare_digest(known_name.encode(), name.encode())
    same_phone = hmac.compare_digest(known_phone.encode(), blind_index(phone, purpose="phone").encode())
    return person if person is not None and same_name and same_phone else None


def member_register(*, name: str, id_number: str, phone: str, code: str, accept_privacy: bool,
                    accept_service: bool, ip: str, phone_proof: str = "") -> User:
    """注册: check the form, spend the SMS code, match the person (SPEC §8), link the member account to
    them and store one consent per agreement (edition, time, IP). Returns the account to log in.

    `phone_proof` (from `member_ticket_login`, when a host app vouched for a phone that has no member
    yet) stands in for the SMS code of that phone. Registering again (a new phone on a later roster, or
    simply twice) links the person to the account of the phone used now."""
    name, id_number, phone = normalise_name(name), normalise_id(id_number), phone.strip()
    if not name:
        raise DomainError(_("请填写姓名"), field="name")
    if check_id_number(id_number) is not None:
        raise DomainError(_("请填写正确居民身份证号码"), field="id_number")
    if not is_valid_phone(phone):
        raise DomainError(_("请填写正确手机号"), field="phone")
    if not (accept_privacy and accept_service):
        raise DomainError(_("请阅读并勾选同意隐私协议和服务声明"), field="consent")
    # The code first: without the phone's code nothing is compared, so nobody can probe names and IDs.
    if not (phone_proof and proven_phone(phone_proof) == phone):
        code_check(phone=phone, purpose=REGISTER, code=code)
    person = _matching_person(name=name, id_number=id_number, phone=phone)
    if person is None:
        record(action="member.register", result="mismatch", ip=ip, portal=PORTAL)
        raise DomainError(MISMATCH, code="mismatch")
    with transaction.atomic():
        account = phone_account(kind=User.Kind.MEMBER, phone=phone)
        if Person.objects.filter(account=account).exclude(pk=person.pk).exists():
            raise DomainError(_("该手机号已绑定其他参保人，请联系单位经办人"), field="phone")
        Person.objects.filter(pk=person.pk).update(account=account)
        now = timezone.now()
        agreements = current_all()
        MemberConsent.objects.bulk_create([
            MemberConsent(person=person, account=account, kind=a.kind, version=a.version, accepted_at=now, ip=ip or None)
            for a in agreements])
        record(action="member.register", actor=account, obj=person, ip=ip, portal=PORTAL,
               consents={a.kind: a.version for a in agreements})
    return account


@dataclass(frozen=True)
class TicketSignIn:
    """What a host app's ticket gives: the member to log in, or (no member behind the phone yet) a
    proof of the phone for 注册 without an SMS code."""

    user: User | None
    phone: str
    phone_proof: str = ""


def member_ticket_login(*, app_code: str, phone: str, ts: str, nonce: str, signature: str, ip: str) -> TicketSignIn:
    """Sign-in from a host app: the member account behind the phone its ticket vouches for (instead of an
    SMS code). A bad ticket raises `TicketRefused`."""
    verified = ticket_verify(app_code=app_code, phone=phone, ts=ts, nonce=nonce, signature=signature, ip=ip)
    user = phone_login_account(kind=User.Kind.MEMBER, phone=verified, may_log_in=member_may_log_in)
    if user is None:
        return TicketSignIn(None, verified, signing.dumps(verified, salt=PROOF_SALT))
    record(action="login.success", actor=user, ip=ip, portal=PORTAL, via="ticket", app=app_code)
    return TicketSignIn(user, verified)


def proven_phone(proof: str) -> str:
    """The phone a `phone_proof` vouches for while it is fresh (10 minutes), else ""."""
    try:
        return str(signing.loads(proof, salt=PROOF_SALT, max_age=PROOF_MAX_AGE))
    except signing.BadSignature:
        return ""
