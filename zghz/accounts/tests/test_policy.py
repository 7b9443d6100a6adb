"""accounts/policy.py: one answer to "is this an active staff member with permission X", and the write
permission that is independent of the district scope (a city-wide viewer, a district-scoped writer)."""


import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from zghz.accounts.models import User
from zghz.accounts.policy import (
    REVIEW_UNIT,
    REVIEW_WORK_ORDER,
    is_read_only,
    is_staff,
    sees_district,
    staff_can,
    staff_district_id,
    staff_require,
)
from zghz.accounts.roles import DISTRICT, ROLE_PERMISSIONS, ROLES
from zghz.conftest import Personas, login_staff, make_staff
from zghz.core.errors import DomainError
from zghz.units.models import District, Unit
from zghz.units.services import unit_review


def staff_with(username: str, *codenames: str, district: str | None = None) -> User:
    """A staff account whose one role holds exactly these permissions (a configuration no built-in role has)."""
    group = Group.objects.create(name=f"role-{username}")
    group.permissions.set(Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames))
    user = make_staff(username, district=district)
    user.groups.set([group])
    return user


def test_it_gives_every_role_but_district_the_write_permission(personas: Personas) -> None:
    for role in ROLES:
        perms = set(Group.objects.get(name=role).permissions.values_list("codename", flat=True))
        assert perms == set(ROLE_PERMISSIONS[role])
        assert ("write_backoffice" in perms) == (role != DISTRICT), role
    for who, user in personas.staff.items():
        assert is_read_only(user) == (who == "district"), who


def test_it_answers_for_active_staff_only(personas: Personas) -> None:
    assert staff_can(personas.clerk, REVIEW_UNIT, write=True)
    assert not staff_can(personas.finance, REVIEW_UNIT)
    assert staff_can(personas.district) and not staff_can(personas.district, write=True)
    assert not staff_can(personas.unit_a.handler) and not is_staff(personas.unit_a.handler)
    assert not staff_can(personas.member.account)
    personas.clerk.is_active = False
    assert not is_staff(personas.clerk) and not staff_can(personas.clerk, REVIEW_UNIT)
    with pytest.raises(DomainError) as e:
        staff_require(personas.finance, REVIEW_WORK_ORDER, what="审核参保申请")
    assert (e.value.status, e.value.code, e.value.message) == (403, "forbidden", "没有审核参保申请的权限")


def test_it_scopes_districts_independently_of_writing(personas: Personas) -> None:
    liangxi = District.objects.get(name="梁溪区")
    binhu = District.objects.get(name="滨湖区")
    assert sees_district(personas.clerk, binhu.pk) and staff_district_id(personas.clerk) is None
    assert sees_district(personas.district, liangxi.pk) and not sees_district(personas.district, binhu.pk)
    assert staff_district_id(personas.district) == liangxi.pk
    no_district = make_staff("lost", DISTRICT)
    assert not sees_district(no_district, None) and not sees_district(no_district, liangxi.pk)


def _pending(unit: Unit) -> Unit:
    Unit.objects.filter(pk=unit.pk).update(status=Unit.Status.PENDING)
    unit.refresh_from_db()
    return unit


def test_it_lets_a_city_wide_read_only_viewer_look_everywhere_and_change_nothing(
        client: Client, personas: Personas) -> None:
    viewer = staff_with("viewer", "view_backoffice", "view_all_districts", "review_unit", "review_work_order")
    assert is_read_only(viewer)
    a, b = _pending(personas.unit_a), _pending(personas.unit_b)
    login_staff(client, viewer)
    for unit in (a, b):  # 滨湖区 and 梁溪区 alike
        r = client.get(f"/staff/units/{unit.pk}/")
        assert r.status_code == 200 and f'action="/staff/units/{unit.pk}/approve/"' not in r.content.decode()
        assert client.post(f"/staff/units/{unit.pk}/approve/").status_code == 403
    listing = client.get("/staff/units/?status=pending").content.decode()
    assert a.name in listing and b.name in listing and ">审核<" not in listing
    with pytest.raises(DomainError) as e:
        unit_review(unit=a, actor=viewer, approve=True)
    assert e.value.status == 403
    a.refresh_from_db()
    assert a.status == Unit.Status.PENDING


def test_it_lets_a_district_scoped_writer_review_its_own_district_only(
        client: Client, personas: Personas) -> None:
    writer = staff_with("writer", "view_backoffice", "write_backoffice", "review_unit", district="滨湖区")
    assert not is_read_only(writer)
    a, b = _pending(personas.unit_a), _pending(personas.unit_b)  # 滨湖区, 梁溪区
    login_staff(client, writer)
    listing = client.get("/staff/units/?status=pending").content.decode()
    assert a.name in listing and b.name not in listing and ">审核<" in listing
    assert f'action="/staff/units/{a.pk}/approve/"' in client.get(f"/staff/units/{a.pk}/").content.decode()
    assert client.get(f"/staff/units/{b.pk}/").status_code == 404
    assert client.post(f"/staff/units/{b.pk}/approve/").status_code == 404
    r = client.post(f"/staff/units/{a.pk}/approve/")
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.status == Unit.Status.APPROVED
    # The service refuses a unit outside the district even when handed one directly.
    with pytest.raises(DomainError) as e:
        unit_review(unit=b, actor=writer, approve=True)
    assert e.value.status == 403
    b.refresh_from_db()
    assert b.status == Unit.Status.PENDING


def test_it_keeps_district_accounts_read_only(client: Client, personas: Personas) -> None:
    login_staff(client, personas.district)
    b = _pending(personas.unit_b)  # the 区局 account's own district
    r = client.get(f"/staff/units/{b.pk}/")
    assert r.status_code == 200 and "approve" not in r.content.decode()
    assert client.post(f"/staff/units/{b.pk}/approve/").status_code == 403
