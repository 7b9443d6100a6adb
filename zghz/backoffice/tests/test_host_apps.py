"""接入应用 (管理员): host apps and their signing keys for the member H5's sign-in tickets."""

from typing import Any

from django.test import Client

from zghz.audit.models import AuditEntry
from zghz.conftest import login_staff
from zghz.hostapps.models import HostApp
from zghz.hostapps.services import host_app_create


def test_it_adds_an_app_and_shows_its_key_once(client: Client, personas: Any) -> None:
    login_staff(client, personas.admin)
    r = client.post("/staff/host-apps/", {"code": "lingxi", "name": "灵锡"})
    body = r.content.decode()
    app = HostApp.objects.get(code="lingxi")
    assert r.status_code == 200 and app.key in body and "只显示这一次" in body
    assert app.key not in client.get("/staff/host-apps/").content.decode()
    assert AuditEntry.objects.filter(action="host_app.create", actor_id=personas.admin.pk).exists()


def test_it_refuses_a_duplicate_code(client: Client, personas: Any) -> None:
    host_app_create(code="lingxi", name="灵锡")
    login_staff(client, personas.admin)
    r = client.post("/staff/host-apps/", {"code": "lingxi", "name": "灵锡2"})
    assert r.status_code == 200 and "应用代码“lingxi”已存在" in r.content.decode()
    assert HostApp.objects.count() == 1


def test_it_rotates_a_key_and_disables_an_app(client: Client, personas: Any) -> None:
    issued = host_app_create(code="wechat", name="微信公众号")
    login_staff(client, personas.admin)
    r = client.post(f"/staff/host-apps/{issued.app.pk}/rotate/")
    issued.app.refresh_from_db()
    assert issued.app.key != issued.key and issued.app.key in r.content.decode()
    r = client.post(f"/staff/host-apps/{issued.app.pk}/toggle/", {"active": "0"})
    assert r.status_code == 302
    issued.app.refresh_from_db()
    assert not issued.app.is_active
    assert "已停用接入应用：微信公众号" in client.get("/staff/host-apps/").content.decode()


def test_only_administrators_manage_apps(client: Client, personas: Any) -> None:
    issued = host_app_create(code="jsgh", name="江苏工会")
    for who in ("clerk", "business", "report", "finance", "district"):
        c = login_staff(Client(), personas.staff[who])
        assert c.get("/staff/host-apps/").status_code == 403
        assert c.post(f"/staff/host-apps/{issued.app.pk}/rotate/").status_code == 403
    login_staff(client, personas.admin)
    assert client.get("/staff/host-apps/999999/rotate/").status_code == 405
    assert client.post("/staff/host-apps/999999/rotate/").status_code == 404
    issued.app.refresh_from_db()
    assert issued.app.key == issued.key
