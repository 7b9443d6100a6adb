"""unit_actions: what each persona may do with a unit in each status; the services refuse the rest."""

import pytest

from zghz.conftest import Personas
from zghz.core.errors import AlreadyProcessed, DomainError
from zghz.units.models import Unit
from zghz.units.policy import (
    CHANGE_HANDLER,
    CONFIRM_PLEDGE,
    EDIT,
    REVEAL_ID,
    REVIEW,
    SAVE_PROFILE,
    SUBMIT,
    unit_actions,
)
from zghz.units.services import unit_pledge_open, unit_profile_save, unit_review, unit_staff_edit, unit_submit

S = Unit.Status
HANDLER_EDITS = {SAVE_PROFILE, CONFIRM_PLEDGE, SUBMIT}


def with_status(unit: Unit, status: str) -> Unit:
    unit.status = status
    return unit


@pytest.mark.parametrize("status, expected", [
    (S.DRAFT, HANDLER_EDITS), (S.REJECTED, HANDLER_EDITS), (S.PENDING, set()), (S.APPROVED, set()),
])
def test_it_lets_the_handler_edit_the_profile_until_it_is_submitted(personas: Personas, status: str,
                                                                   expected: set[str]) -> None:
    unit = with_status(personas.unit_a, status)
    assert unit_actions(unit.handler, unit) == expected
    assert unit_actions(personas.unit_b.handler, unit) == set()
    assert unit_actions(personas.member.account, unit) == set()


def test_it_gives_staff_their_actions_by_role_status_and_district(personas: Personas) -> None:
    a = with_status(personas.unit_a, S.PENDING)  # 滨湖区
    assert unit_actions(personas.clerk, a) == {REVIEW, REVEAL_ID, CHANGE_HANDLER}
    assert unit_actions(personas.admin, a) == {REVIEW, EDIT, REVEAL_ID, CHANGE_HANDLER}
    for who in ("business", "report", "finance", "district"):
        assert unit_actions(personas.staff[who], a) == set(), who
    assert unit_actions(personas.clerk, with_status(a, S.APPROVED)) == {REVEAL_ID, CHANGE_HANDLER}
    a.handler_id_number = ""
    assert unit_actions(personas.admin, a) == {EDIT, CHANGE_HANDLER}
    # A 历史单位 has no handler to change (it registers itself).
    historical = Unit(status=S.HISTORICAL, district_id=a.district_id, handler=None)
    assert CHANGE_HANDLER not in unit_actions(personas.admin, historical)
    # The 区局 account looks at its own district's unit but may still change nothing.
    assert unit_actions(personas.district, with_status(personas.unit_b, S.PENDING)) == set()
    assert unit_actions(personas.unit_a.handler, a) == set()


def test_it_enforces_the_same_rules_in_the_services(personas: Personas) -> None:
    unit = personas.unit_a
    with pytest.raises(DomainError) as e:
        unit_profile_save(unit=unit, actor=unit.handler, district_id=None, medical_code="", handler_name="",
                          handler_id_number="", certificate_kind="", certificate=None)
    assert "已提交审核或已通过" in e.value.message
    with pytest.raises(DomainError, match="无需再次确认承诺书"):
        unit_pledge_open(unit=unit, actor=unit.handler)
    with pytest.raises(AlreadyProcessed):
        unit_submit(unit=unit, actor=unit.handler)
    draft = personas.outsider
    with pytest.raises(DomainError) as e:
        unit_pledge_open(unit=draft, actor=personas.unit_a.handler)  # another unit's handler
    assert (e.value.status, e.value.code) == (403, "forbidden")
    with pytest.raises(DomainError) as e:
        unit_staff_edit(unit=unit, actor=personas.clerk, name="新名称", district_id=None, medical_code="",
                        handler_name="", handler_id_number="", certificate_kind="", certificate=None)
    assert e.value.status == 403
    unit.refresh_from_db()
    assert unit.name == "测试单位1工会"


def test_it_checks_a_review_against_the_current_row_not_a_stale_copy(personas: Personas) -> None:
    stale = Unit.objects.get(pk=personas.unit_a.pk)
    Unit.objects.filter(pk=stale.pk).update(status=S.PENDING)
    assert stale.status == S.APPROVED  # what an old page still shows
    unit_review(unit=stale, actor=personas.clerk, approve=True)
    assert Unit.objects.get(pk=stale.pk).status == S.APPROVED
    with pytest.raises(AlreadyProcessed):
        unit_review(unit=Unit.objects.get(pk=stale.pk), actor=personas.clerk, approve=True)
