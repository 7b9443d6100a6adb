"""manage.py create_staff: the way the first 管理员 and every later staff account are made."""

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from zghz.accounts.models import User
from zghz.audit.models import AuditEntry


def run(monkeypatch: pytest.MonkeyPatch, stdin: str, *args: str) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    out = io.StringIO()
    call_command("create_staff", *args, stdout=out)
    return out.getvalue()


def test_it_creates_a_staff_member_with_roles_and_a_password_from_stdin(db: Any,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    out = run(monkeypatch, "Wy-secure-pass-2026\n", "wangying", "--roles", "业务复核,报告复核", "--name", "王莹")
    assert "已创建 wangying" in out
    user = User.objects.get(username="wangying")
    assert user.kind == User.Kind.STAFF and user.full_name == "王莹"
    assert user.check_password("Wy-secure-pass-2026")
    assert sorted(user.roles) == ["业务复核", "报告复核"]
    assert user.has_perm("accounts.claim_business_review") and user.has_perm("accounts.view_backoffice")
    assert not user.has_perm("accounts.manage_system")
    assert AuditEntry.objects.filter(action="staff.create", object_id=str(user.pk)).exists()


def test_it_refuses_an_unknown_role(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CommandError, match="未知角色：超级管理员"):
        run(monkeypatch, "Wy-secure-pass-2026\n", "someone", "--roles", "经办,超级管理员")
    assert not User.objects.filter(username="someone").exists()


def test_it_needs_a_password_on_stdin(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CommandError, match="请从标准输入提供密码"):
        run(monkeypatch, "", "someone", "--roles", "经办")


def test_it_refuses_a_weak_password(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CommandError):
        run(monkeypatch, "12345678\n", "someone", "--roles", "经办")
    assert not User.objects.filter(username="someone").exists()


def test_it_needs_a_district_for_a_district_account(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CommandError, match="区局账户需要 --district"):
        run(monkeypatch, "Wy-secure-pass-2026\n", "lx", "--roles", "区局")
    with pytest.raises(CommandError, match="区局不存在"):
        run(monkeypatch, "Wy-secure-pass-2026\n", "lx", "--roles", "区局", "--district", "火星区")
    run(monkeypatch, "Wy-secure-pass-2026\n", "lx", "--roles", "区局", "--district", "梁溪区")
    district = User.objects.get(username="lx").district
    assert district is not None and district.name == "梁溪区"


def test_it_refuses_a_username_taken_already(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    run(monkeypatch, "Wy-secure-pass-2026\n", "dup", "--roles", "财务")
    with pytest.raises(CommandError, match="该用户名已存在"):
        run(monkeypatch, "Wy-secure-pass-2026\n", "dup", "--roles", "经办")
