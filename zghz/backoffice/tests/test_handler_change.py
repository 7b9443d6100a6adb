"""变更经办人 (经办, 管理员): the unit moves to the new phone, both phones get an SMS, the change is audited,
and the new handler logs in with the usual SMS code while the old one no longer reaches the unit."""

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from zghz.accounts.models import User
from zghz.audit.models import AuditEntry
from zghz.conftest import login_handler, login_staff, make_id
from zghz.units.models import Unit
from zghz.units.tests.helpers import code_from_outbox

NEW_PHONE = "13955556666"
NEW_ID = make_id("32020219880808123")


def _url(unit: Unit) -> str:
    return f"/staff/units/{unit.pk}/handler/"


def _change(client: Client, unit: Unit, **data: str) -> Any:
    return client.post(_url(unit), {"name": "王新", "id_number": NEW_ID, "phone": NEW_PHONE, **data})


@pytest.mark.parametrize("who", ["clerk", "admin"])
def test_it_moves_the_unit_to_the_new_handler(client: Client, personas: Any, outbox: Any, who: str) -> None:
    unit = personas.unit_a
    old_session = login_handler(Client(), unit)
    assert old_session.get("/unit/").status_code == 200
    login_staff(client, personas.staff[who])
    page = client.get(f"/staff/units/{unit.pk}/").content.decode()
    assert _url(unit) in page and "变更经办人" in page
    form = client.get(_url(unit)).content.decode()
    for label in ("新经办人姓名", "新经办人身份证号", "新经办人手机号", "138****0001"):
        assert label in form
    r = _change(client, unit)
    assert r.status_code == 302 and r["Location"] == f"/staff/units/{unit.pk}/"
    unit.refresh_from_db()
    assert unit.handler.phone == NEW_PHONE and unit.handler.kind == User.Kind.HANDLER
    assert unit.handler_name == "王新" and unit.handler_id_number == NEW_ID

    sent = {m["phone"]: m["text"] for m in map(json.loads, outbox.read_text().splitlines())}
    assert "经办人已变更为王新（手机号139****6666）" in sent["13800000001"]
    assert unit.name in sent[NEW_PHONE] and "经办人" in sent[NEW_PHONE]
    entry = AuditEntry.objects.get(action="unit.handler_change")
    assert entry.actor_id == personas.staff[who].pk and entry.unit_id == unit.pk
    assert entry.detail["before"] == {"name": "李经办", "phone": "138****0001"}
    assert entry.detail["phone_masked"] == "139****6666"
    assert NEW_PHONE not in json.dumps(entry.detail) and NEW_ID not in json.dumps(entry.detail)

    # The old handler's session no longer reaches the unit; the new one logs in with the usual SMS code.
    assert old_session.get("/unit/").status_code in (302, 404)
    new = Client()
    new.post(reverse("portal:sms_code"), {"phone": NEW_PHONE, "purpose": "unit_login"})
    r = new.post(reverse("portal:login"), {"login-phone": NEW_PHONE, "login-code": code_from_outbox(NEW_PHONE)})
    assert r.status_code == 302
    new.get(reverse("portal:choose_unit"))
    assert new.session["unit_id"] == unit.pk and new.get("/unit/").status_code == 200


@pytest.mark.parametrize(("data", "message"), [
    ({"phone": "1395555"}, "请填写正确手机号"),
    ({"phone": "13800000001"}, "新手机号与现经办人手机号相同"),
    ({"name": " "}, "请填写经办人姓名"),
    ({"id_number": "320202198808081230"}, "请填写正确居民身份证号码"),
])
def test_it_explains_bad_input_and_changes_nothing(client: Client, personas: Any, data: dict[str, str],
                                                   message: str) -> None:
    unit = personas.unit_a
    login_staff(client, personas.clerk)
    r = _change(client, unit, **data)
    assert r.status_code == 200 and message in r.content.decode()
    unit.refresh_from_db()
    assert unit.handler.phone == "13800000001" and unit.handler_name == "李经办"
    assert not AuditEntry.objects.filter(action="unit.handler_change").exists()


@pytest.mark.parametrize("who", ["business", "report", "finance", "district"])
def test_it_is_for_clerks_and_admins_only(client: Client, personas: Any, who: str) -> None:
    unit = personas.unit_b  # 梁溪区, the 区局 account's own district
    login_staff(client, personas.staff[who])
    assert client.get(_url(unit)).status_code == 403
    assert _change(client, unit).status_code == 403
    assert "变更经办人" not in client.get(f"/staff/units/{unit.pk}/").content.decode()
    unit.refresh_from_db()
    assert unit.handler.phone == "13800000002"
