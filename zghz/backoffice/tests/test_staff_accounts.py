"""账户管理 (管理员): list, create with roles and district, reset password and 动态口令, lock, unlock, deactivate."""

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from zghz.accounts.models import User
from zghz.accounts.services import staff_check_password
from zghz.audit.models import AuditEntry
from zghz.conftest import PASSWORD, login_staff, make_staff
from zghz.core.errors import DomainError
from zghz.units.models import District

NEW_PASSWORD = "Wuxi-2026-new-pass"


def _audited(action: str, personas: Any, target: User) -> bool:
    return AuditEntry.objects.filter(action=action, actor_id=personas.admin.pk, object_type="accounts.user",
                                     object_id=str(target.pk)).exists()


@pytest.mark.parametrize("who", ["clerk", "business", "report", "finance", "district"])
def test_it_is_for_admins_only(client: Client, personas: Any, who: str) -> None:
    login_staff(client, personas.staff[who])
    assert client.get("/staff/accounts/").status_code == 403
    assert client.get(f"/staff/accounts/{personas.clerk.pk}/").status_code == 403
    assert client.post(f"/staff/accounts/{personas.finance.pk}/deactivate/").status_code == 403
    assert User.objects.get(pk=personas.finance.pk).is_active
    assert "账户管理" not in client.get("/staff/").content.decode()


def test_it_lists_staff_accounts_with_constant_queries(client: Client, personas: Any) -> None:
    login_staff(client, personas.admin)
    body = client.get("/staff/accounts/").content.decode()
    for text in ("账户管理", "新建账户", "用户名", "角色", "所属区局", "动态口令", "状态", "clerk", "经办", "梁溪区", "正常"):
        assert text in body
    assert "13800000001" not in body and "138****0001" not in body  # handlers are not staff

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/staff/accounts/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for n in range(8):
        make_staff(f"extra{n}", "经办", "财务")
    assert count() == few


def test_it_creates_an_account_with_roles_and_district(client: Client, personas: Any) -> None:
    login_staff(client, personas.admin)
    liangxi = District.objects.get(name="梁溪区")
    r = client.post("/staff/accounts/new/", {"username": "liqu", "full_name": "李区局", "password": NEW_PASSWORD,
                                             "roles": ["区局"], "district": liangxi.pk})
    user = User.objects.get(username="liqu")
    assert r.status_code == 302 and r["Location"] == f"/staff/accounts/{user.pk}/"
    assert user.kind == User.Kind.STAFF and user.roles == ["区局"] and user.district == liangxi
    assert user.check_password(NEW_PASSWORD) and not user.totp_confirmed
    assert _audited("staff.create", personas, user)
    assert "已创建账户：liqu" in client.get(r["Location"]).content.decode()


@pytest.mark.parametrize(("data", "message"), [
    ({"username": "liqu", "password": NEW_PASSWORD, "roles": ["区局"]}, "区局账户须选择所属区局"),
    ({"username": "liqu", "password": NEW_PASSWORD}, "请至少选择一个角色"),
    ({"username": "clerk", "password": NEW_PASSWORD, "roles": ["经办"]}, "该用户名已存在"),
    ({"username": "liqu", "password": "short", "roles": ["经办"]}, "密码"),
    ({"username": "li qu", "password": NEW_PASSWORD, "roles": ["经办"]}, "用户名只能包含字母、数字、下划线和点"),
    ({"username": "liqu", "password": NEW_PASSWORD, "roles": ["站长"]}, "站长"),
])
def test_it_explains_what_is_wrong_and_creates_nothing(client: Client, personas: Any, data: dict[str, Any],
                                                       message: str) -> None:
    login_staff(client, personas.admin)
    before = User.objects.count()
    r = client.post("/staff/accounts/new/", {"full_name": "李", **data})
    assert r.status_code == 200 and message in r.content.decode()
    assert User.objects.count() == before
    assert NEW_PASSWORD not in r.content.decode()  # the password is never sent back


def test_it_resets_the_password_and_ends_the_sessions(client: Client, personas: Any) -> None:
    clerk_session = login_staff(Client(), personas.clerk)
    assert clerk_session.get("/staff/").status_code == 200
    login_staff(client, personas.admin)
    r = client.post(f"/staff/accounts/{personas.clerk.pk}/password/", {"password": "short"})
    assert r.status_code == 200 and "密码" in r.content.decode()
    assert User.objects.get(pk=personas.clerk.pk).check_password(PASSWORD)
    r = client.post(f"/staff/accounts/{personas.clerk.pk}/password/", {"password": NEW_PASSWORD})
    assert r.status_code == 302
    assert staff_check_password(username="clerk", password=NEW_PASSWORD).pk == personas.clerk.pk
    assert _audited("staff.password_reset", personas, personas.clerk)
    assert clerk_session.get("/staff/").status_code == 302  # logged out


def test_it_resets_the_totp_so_the_next_login_binds_again(client: Client, personas: Any) -> None:
    User.objects.filter(pk=personas.clerk.pk).update(totp_secret="JBSWY3DPEHPK3PXP", totp_confirmed=True)
    login_staff(client, personas.admin)
    assert "已绑定" in client.get(f"/staff/accounts/{personas.clerk.pk}/").content.decode()
    r = client.post(f"/staff/accounts/{personas.clerk.pk}/totp/reset/", follow=True)
    assert "已重置 clerk 的动态口令" in r.content.decode()
    clerk = User.objects.get(pk=personas.clerk.pk)
    assert clerk.totp_secret == "" and not clerk.totp_confirmed
    assert _audited("staff.totp_reset", personas, clerk)


def test_it_locks_and_unlocks(client: Client, personas: Any) -> None:
    clerk_session = login_staff(Client(), personas.clerk)
    login_staff(client, personas.admin)
    r = client.post(f"/staff/accounts/{personas.clerk.pk}/lock/", follow=True)
    assert "已锁定账户：clerk" in r.content.decode() and "已锁定" in r.content.decode()
    assert clerk_session.get("/staff/").status_code == 302  # the open session is refused at once
    with pytest.raises(DomainError, match="账户已被管理员锁定"):
        staff_check_password(username="clerk", password=PASSWORD)
    with pytest.raises(DomainError, match="用户名或密码错误"):  # a wrong password learns nothing more
        staff_check_password(username="clerk", password="not the password")
    r = client.post(f"/staff/accounts/{personas.clerk.pk}/unlock/", follow=True)
    assert "已解锁账户：clerk" in r.content.decode()
    assert staff_check_password(username="clerk", password=PASSWORD).pk == personas.clerk.pk
    assert _audited("staff.lock", personas, personas.clerk) and _audited("staff.unlock", personas, personas.clerk)


def test_it_unlocks_an_account_that_failed_logins_locked(client: Client, personas: Any, settings: Any) -> None:
    for _ in range(settings.STAFF_MAX_FAILED_LOGINS):
        with pytest.raises(DomainError):
            staff_check_password(username="clerk", password="wrong")
    with pytest.raises(DomainError, match="已锁定"):
        staff_check_password(username="clerk", password=PASSWORD)
    login_staff(client, personas.admin)
    body = client.get("/staff/accounts/").content.decode()
    assert "已锁定" in body
    client.post(f"/staff/accounts/{personas.clerk.pk}/unlock/")
    assert staff_check_password(username="clerk", password=PASSWORD).pk == personas.clerk.pk


def test_it_deactivates_for_good(client: Client, personas: Any) -> None:
    login_staff(client, personas.admin)
    r = client.post(f"/staff/accounts/{personas.finance.pk}/deactivate/", follow=True)
    assert "已停用账户：finance" in r.content.decode() and "已停用" in r.content.decode()
    assert not User.objects.get(pk=personas.finance.pk).is_active
    assert _audited("staff.deactivate", personas, personas.finance)
    r = client.post(f"/staff/accounts/{personas.finance.pk}/lock/", follow=True)
    assert "该账户已停用" in r.content.decode()
    assert User.objects.get(pk=personas.finance.pk).locked_at is None
    with pytest.raises(DomainError):
        staff_check_password(username="finance", password=PASSWORD)


def test_it_leaves_the_admins_own_account_alone(client: Client, personas: Any) -> None:
    login_staff(client, personas.admin)
    body = client.get(f"/staff/accounts/{personas.admin.pk}/").content.decode()
    assert "这是您自己的账户" in body
    assert f"/staff/accounts/{personas.admin.pk}/lock/" not in body
    assert f"/staff/accounts/{personas.admin.pk}/deactivate/" not in body
    r = client.post(f"/staff/accounts/{personas.admin.pk}/deactivate/", follow=True)
    assert "不能在这里修改自己的账户" in r.content.decode()
    assert User.objects.get(pk=personas.admin.pk).is_active


def test_it_reaches_only_staff_accounts(client: Client, personas: Any) -> None:
    login_staff(client, personas.admin)
    handler = personas.unit_a.handler
    assert client.get(f"/staff/accounts/{handler.pk}/").status_code == 404
    assert client.post(f"/staff/accounts/{handler.pk}/deactivate/").status_code == 404
    assert User.objects.get(pk=handler.pk).is_active
    assert client.get("/staff/accounts/999999/").status_code == 404
    assert client.get(f"/staff/accounts/{personas.clerk.pk}/lock/").status_code == 405
