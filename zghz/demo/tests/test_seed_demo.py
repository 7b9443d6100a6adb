import pytest
from django.core.management import CommandError, call_command

from zghz.accounts.models import User
from zghz.coverage.models import Coverage
from zghz.enrolment.models import WorkOrder
from zghz.units.models import Unit

pytestmark = pytest.mark.django_db


def test_it_loads_the_demo_once_however_often_it_runs(outbox, capsys) -> None:  # type: ignore[no-untyped-def]
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "majajia" in out and "13800000001" in out
    assert set(User.objects.filter(kind="staff").values_list("username", flat=True)) == {
        "majajia", "wangying", "caiwu", "liangxi", "admin"}
    assert sorted(Unit.objects.values_list("status", flat=True)) == ["approved", "pending"]
    order = WorkOrder.objects.get()
    assert order.status == WorkOrder.Status.COMPLETED
    assert Coverage.objects.filter(work_order=order).count() == 8


def test_it_refuses_to_seed_production(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="生产环境"):
        call_command("seed_demo")
    assert not User.objects.exists()
