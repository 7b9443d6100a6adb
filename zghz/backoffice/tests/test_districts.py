"""所属区局 management (管理员)."""

from typing import Any

from django.test import Client

from zghz.audit.models import AuditEntry
from zghz.conftest import login_handler, login_staff
from zghz.units.models import District


def test_it_lists_every_district_with_its_unit_count(client: Client, personas: Any) -> None:
    login_staff(client, personas.admin)
    body = client.get("/staff/districts/").content.decode()
    for name in ("梁溪区", "锡山区", "惠山区", "滨湖区", "新吴区", "江阴市", "宜兴市", "经开区", "市级机关", "产业工会"):
        assert name in body


def test_it_adds_a_district_that_units_can_then_choose(client: Client, personas: Any) -> None:
    login_staff(client, personas.admin)
    r = client.post("/staff/districts/", {"name": " 高新区 "})
    assert r.status_code == 302
    district = District.objects.get(name="高新区")
    assert district.is_active
    assert district.sort_order > District.objects.exclude(pk=district.pk).order_by("-sort_order")[0].sort_order
    assert AuditEntry.objects.filter(action="district.create", actor_id=personas.admin.pk).exists()
    assert "高新区" in login_handler(Client(), personas.outsider).get("/unit/").content.decode()


def test_it_refuses_duplicate_or_empty_names(client: Client, personas: Any) -> None:
    login_staff(client, personas.admin)
    before = District.objects.count()
    r = client.post("/staff/districts/", {"name": "梁溪区"})
    assert r.status_code == 200 and "该区局名称已存在" in r.content.decode()
    r = client.post("/staff/districts/", {"name": "  "})
    assert r.status_code == 200 and "请填写区局名称" in r.content.decode()
    assert District.objects.count() == before


def test_it_renames_a_district(client: Client, personas: Any) -> None:
    district = District.objects.get(name="经开区")
    login_staff(client, personas.admin)
    assert client.post(f"/staff/districts/{district.pk}/rename/", {"name": "经济开发区"}).status_code == 302
    district.refresh_from_db()
    assert district.name == "经济开发区"
    entry = AuditEntry.objects.get(action="district.rename")
    assert entry.detail == {"before": "经开区", "name": "经济开发区"}
    r = client.post(f"/staff/districts/{district.pk}/rename/", {"name": "梁溪区"})
    assert r.status_code == 200 and "该区局名称已存在" in r.content.decode()
    district.refresh_from_db()
    assert district.name == "经济开发区"


def test_it_disables_and_enables_a_district(client: Client, personas: Any) -> None:
    district = District.objects.get(name="梁溪区")
    login_staff(client, personas.admin)
    client.post(f"/staff/districts/{district.pk}/toggle/", {"active": "0"})
    district.refresh_from_db()
    assert not district.is_active
    personas.unit_b.refresh_from_db()
    assert personas.unit_b.district_id == district.pk  # units keep it
    assert "梁溪区" not in login_handler(Client(), personas.outsider).get("/unit/").content.decode()
    client.post(f"/staff/districts/{district.pk}/toggle/", {"active": "1"})
    district.refresh_from_db()
    assert district.is_active
    assert [e.action for e in AuditEntry.objects.filter(action__startswith="district.").order_by("id")] == \
        ["district.disable", "district.enable"]


def test_it_keeps_other_roles_out(client: Client, personas: Any) -> None:
    district = District.objects.get(name="滨湖区")
    for who in (personas.clerk, personas.district, personas.finance):
        login_staff(client, who)
        assert client.post("/staff/districts/", {"name": "新区"}).status_code == 403
        assert client.post(f"/staff/districts/{district.pk}/toggle/", {"active": "0"}).status_code == 403
        assert client.post(f"/staff/districts/{district.pk}/rename/", {"name": "新区"}).status_code == 403
    district.refresh_from_db()
    assert district.is_active and district.name == "滨湖区"
    assert not District.objects.filter(name="新区").exists()


def test_it_answers_404_for_a_missing_district(client: Client, personas: Any) -> None:
    login_staff(client, personas.admin)
    assert client.post("/staff/districts/999999/toggle/", {"active": "0"}).status_code == 404
