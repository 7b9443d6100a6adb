"""生成批次 and 回盘导入 as background jobs: the request only checks and queues, the task does the work in
one transaction with its job row, and a task that dies half-way (a killed worker) leaves nothing behind
and is simply run again."""

from __future__ import annotations

from typing import Any

import pytest

from zghz.accounts.models import User
from zghz.audit.models import AuditEntry
from zghz.claims.models import Claim, ClaimEvent
from zghz.conftest import Personas
from zghz.core.errors import DomainError
from zghz.files.models import StoredFile
from zghz.files.services import read_stored
from zghz.payouts import services
from zghz.payouts.models import PayoutBatch, PayoutLine, PayoutReturn
from zghz.payouts.services import payout_batch_create, payout_batch_export, payout_batch_request, payout_return_start
from zghz.payouts.tasks import payout_batch_run, payout_return_run
from zghz.sms.models import SmsMessage

from .conftest import return_csv

pytestmark = pytest.mark.django_db


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs, not even `except Exception`."""


def _die(*args: Any, **kwargs: Any) -> None:
    raise WorkerKilled


def test_a_batch_request_checks_and_queues_and_the_task_makes_it_once(personas: Personas, claims: list[Claim],
                                                                      django_capture_on_commit_callbacks: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DomainError, match="报销险种不正确"):
        payout_batch_request(actor=personas.finance, kind="bogus")
    with pytest.raises(DomainError, match="没有支付批次的权限"):
        payout_batch_request(actor=personas.clerk)
    monkeypatch.setattr(services, "INLINE_MAX_LINES", 0)  # as a big batch: handed to a worker
    delayed: list[int] = []
    monkeypatch.setattr(payout_batch_run, "delay", lambda pk: delayed.append(pk))
    with django_capture_on_commit_callbacks(execute=True):
        job = payout_batch_request(actor=personas.finance)
    assert delayed == [job.pk] and job.expected_count == 3 and not PayoutBatch.objects.exists()
    assert AuditEntry.objects.filter(action="payout_batch.request").count() == 1
    monkeypatch.setattr(services, "insert_rows", _die)  # killed while writing the lines
    with pytest.raises(WorkerKilled):
        payout_batch_run(job.pk)
    job.refresh_from_db()
    assert job.status == "queued" and not PayoutBatch.objects.exists() and not PayoutLine.objects.exists()
    assert set(Claim.objects.values_list("payment_state", flat=True)) == {"unpaid"}
    monkeypatch.undo()
    assert payout_batch_run(job.pk) == "done"  # the broker delivers it again
    assert payout_batch_run(job.pk) == "skipped"
    job.refresh_from_db()
    assert job.status == "done" and job.batch is not None and job.batch.line_count == 3
    assert PayoutBatch.objects.count() == 1 and PayoutLine.objects.count() == 3
    assert set(Claim.objects.values_list("payment_state", flat=True)) == {"in_batch"}


def test_a_queued_request_whose_claims_went_elsewhere_fails_with_the_reason(personas: Personas, claims: list[Claim],
                                                                             finance2: User) -> None:
    job = payout_batch_request(actor=personas.finance)  # queued (on_commit never runs in this test)
    payout_batch_create(actor=finance2)
    assert payout_batch_run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == "failed" and "没有符合条件的待支付理赔" in job.error and job.batch is None
    assert PayoutBatch.objects.count() == 1


def test_a_return_is_stored_encrypted_and_a_killed_run_is_redone_without_doubling(
        personas: Personas, claims: list[Claim], finance2: User, monkeypatch: pytest.MonkeyPatch) -> None:
    batch = payout_batch_create(actor=personas.finance)
    payout_batch_export(actor=personas.finance, batch=batch)
    with pytest.raises(DomainError, match="创建本批次的财务人员不能确认"):
        payout_return_start(actor=personas.finance, batch=batch, upload=return_csv(batch))
    upload = return_csv(batch, {claims[2].number: ("失败", "账号不存在")})
    ret = payout_return_start(actor=finance2, batch=batch, upload=upload)
    assert ret.file is not None
    stored = StoredFile.objects.get(pk=ret.file.pk)
    upload.seek(0)
    assert stored.purpose == "payout_return" and read_stored(stored) == upload.read()
    assert ret.status == "queued" and ret.outcome == ""
    monkeypatch.setattr(services, "_payment_events", _die)  # killed after the lines were marked
    with pytest.raises(WorkerKilled):
        payout_return_run(ret.pk)
    ret.refresh_from_db()
    assert ret.status == "queued" and not PayoutLine.objects.exclude(status="pending").exists()
    assert set(Claim.objects.values_list("payment_state", flat=True)) == {"in_batch"}
    monkeypatch.undo()
    assert payout_return_run(ret.pk) == "done"
    assert payout_return_run(ret.pk) == "skipped"
    ret.refresh_from_db()
    batch.refresh_from_db()
    assert (ret.status, ret.outcome, ret.success_count, ret.failed_count) == ("done", "applied", 2, 1)
    assert (batch.status, batch.success_count, batch.failed_count) == ("closed", 2, 1)
    assert ClaimEvent.objects.filter(node="payment").count() == 3
    assert SmsMessage.objects.filter(idempotency_key__startswith="payout-line:").count() == 2
    assert AuditEntry.objects.filter(action="payout_return.import").count() == 1


def test_a_return_that_disagrees_is_kept_with_its_differences_and_marks_nothing(
        personas: Personas, claims: list[Claim], finance2: User) -> None:
    batch = payout_batch_create(actor=personas.finance)
    payout_batch_export(actor=personas.finance, batch=batch)
    spoilt = return_csv(batch, change=lambda rows: rows[1].__setitem__(2, "1.00"))
    ret = payout_return_start(actor=finance2, batch=batch, upload=spoilt)
    assert payout_return_run(ret.pk) == "done"
    ret.refresh_from_db()
    assert ret.status == "done" and ret.outcome == "mismatch"
    assert any("回盘金额 1.00 元，批次金额 1000.00 元" in d for d in ret.differences)
    assert not PayoutLine.objects.exclude(status="pending").exists()


def test_a_return_queued_for_a_batch_closed_meanwhile_fails_and_marks_nothing(
        personas: Personas, claims: list[Claim], finance2: User) -> None:
    batch = payout_batch_create(actor=personas.finance)
    payout_batch_export(actor=personas.finance, batch=batch)
    first = payout_return_start(actor=finance2, batch=batch, upload=return_csv(batch))
    second = payout_return_start(actor=finance2, batch=batch, upload=return_csv(batch))
    assert payout_return_run(first.pk) == "done"
    assert payout_return_run(second.pk) == "failed"
    second.refresh_from_db()
    assert second.status == "failed" and "已全部回盘" in second.error
    assert PayoutReturn.objects.get(pk=first.pk).success_count == 3
    assert SmsMessage.objects.filter(idempotency_key__startswith="payout-line:").count() == 3


def test_the_sweep_hands_a_return_whose_task_was_lost_to_the_broker_again(
        personas: Personas, claims: list[Claim], finance2: User, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from zghz.core.jobs import jobs_sweep

    batch = payout_batch_create(actor=personas.finance)
    payout_batch_export(actor=personas.finance, batch=batch)
    lost = payout_return_start(actor=finance2, batch=batch, upload=return_csv(batch))  # its task never ran
    sent: list[int] = []
    monkeypatch.setattr(payout_return_run, "delay", lambda pk: sent.append(pk))
    assert jobs_sweep()["payouts.PayoutReturn"] == 0 and sent == []  # too young: its task may still come
    later = timezone.now() + timedelta(minutes=5)
    assert jobs_sweep(now=later)["payouts.PayoutReturn"] == 1 and sent == [lost.pk]
    assert payout_return_run(lost.pk) == "done"
    assert jobs_sweep(now=later)["payouts.PayoutReturn"] == 0 and sent == [lost.pk]  # done: never again
