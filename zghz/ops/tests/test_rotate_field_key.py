"""`manage.py rotate_field_key`: every encrypted column of every model moves to the new key, in batches,
resumably, audited, without losing a value written while it runs."""

import random
import threading
import time
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from zghz.audit.models import AuditEntry
from zghz.conftest import Personas
from zghz.core.crypto import blind_index, current_key_id
from zghz.members.models import Person
from zghz.ops.encrypted import encrypted_models, plaintext_digest
from zghz.ops.models import KeyRotationProgress
from zghz.ops.rotation import remaining_under_old_keys
from zghz.sms.models import SmsMessage

OLD, NEW = "old-field-secret-0123456789abcdefghij", "new-field-secret-0123456789abcdefghij"


def _digests() -> dict[str, tuple[int, str]]:
    return {m.label: plaintext_digest(m) for m in encrypted_models()}


def _left(target: str) -> int:
    return sum(remaining_under_old_keys(m, target) for m in encrypted_models())


def _rotate(*args: str) -> str:
    out = StringIO()
    call_command("rotate_field_key", *args, stdout=out)
    return out.getvalue()


def test_it_finds_the_encrypted_fields_of_every_app() -> None:
    labels = {m.label: m.fields for m in encrypted_models()}
    assert {"id_number", "phone", "bank_card"} <= set(labels["members.Person"])
    assert labels["sms.SmsMessage"] == ("phone", "body", "params")
    assert "units.Unit" in labels


@pytest.fixture
def old_key(settings: Any) -> None:
    settings.FIELD_ENCRYPTION_KEY = OLD


def test_it_rotates_every_encrypted_field_and_blind_indexes_keep_working(old_key: None, personas: Personas,
                                                                        settings: Any) -> None:
    people = personas  # created under the old key (old_key comes first)
    old_id = current_key_id()
    before = _digests()
    assert _left(old_id) == 0 and sum(n for n, _ in before.values()) > 0

    settings.FIELD_ENCRYPTION_KEY = f"{NEW},{OLD}"
    new_id = current_key_id()
    assert _left(new_id) > 0
    out = _rotate("--batch-size", "2")
    assert "轮换完成" in out
    assert _left(new_id) == 0 and _digests() == before

    settings.FIELD_ENCRYPTION_KEY = NEW  # the old key is gone: everything still opens
    assert _digests() == before
    person = Person.objects.get(id_hash=blind_index(people.member.id_number, purpose="id"))
    assert person.bank_card == people.member.bank_card and person.phone == people.member.phone
    actions = list(AuditEntry.objects.filter(action__startswith="field_key.").values_list("action", "detail"))
    assert [a for a, _ in actions] == ["field_key.rotate", "field_key.rotate_start"]
    assert actions[0][1]["complete"] is True and actions[0][1]["key_id"] == new_id


def _sms(n: int) -> None:
    SmsMessage.objects.bulk_create([
        SmsMessage(phone=f"136{i:08d}", phone_hash=blind_index(f"136{i:08d}", purpose="phone"), text="通知",
                   purpose="test", idempotency_key=f"rot-{i}", status=SmsMessage.Status.SENT) for i in range(n)])


def test_it_resumes_where_an_interrupted_run_stopped(settings: Any, db: Any) -> None:
    settings.FIELD_ENCRYPTION_KEY = OLD
    _sms(30)
    settings.FIELD_ENCRYPTION_KEY = f"{NEW},{OLD}"
    new_id = current_key_id()
    out = _rotate("--batch-size", "10", "--max-batches", "2")
    assert "已暂停" in out
    progress = KeyRotationProgress.objects.get(key_id=new_id, model="sms.SmsMessage")
    assert progress.rows_rotated == 20 and progress.finished_at is None
    assert _left(new_id) == 10
    assert "轮换完成" in _rotate("--batch-size", "10")
    progress.refresh_from_db()
    assert progress.rows_rotated == 30 and progress.values_rotated == 30 and progress.finished_at is not None
    assert _left(new_id) == 0
    # A finished table is not read again unless asked.
    assert "本次重新加密 0 个值" in _rotate()


def test_it_stops_with_a_clear_message_when_the_old_key_is_gone(settings: Any, db: Any) -> None:
    settings.FIELD_ENCRYPTION_KEY = OLD
    _sms(3)
    settings.FIELD_ENCRYPTION_KEY = NEW
    with pytest.raises(CommandError, match="无法解密"):
        _rotate()


@pytest.mark.postgresql
def test_it_loses_no_write_made_while_it_runs(settings: Any, postgresql: None, transactional_db: Any) -> None:
    settings.FIELD_ENCRYPTION_KEY = OLD
    _sms(3000)
    pks = list(SmsMessage.objects.values_list("pk", flat=True))
    expected = dict(SmsMessage.objects.values_list("pk", "phone"))
    settings.FIELD_ENCRYPTION_KEY = f"{NEW},{OLD}"
    new_id = current_key_id()
    done = threading.Event()
    writes = {"updates": 0, "inserts": 0}
    errors: list[BaseException] = []

    def writer() -> None:
        rng = random.Random(7)
        try:
            n = 0
            while not done.is_set() or n < 200:
                n += 1
                pk = rng.choice(pks)
                phone = f"135{rng.randrange(10**8):08d}"
                SmsMessage.objects.filter(pk=pk).update(phone=phone, phone_hash=blind_index(phone, purpose="phone"))
                expected[pk] = phone
                writes["updates"] += 1
                if n % 10 == 0:
                    new = SmsMessage.objects.create(phone=phone, phone_hash=blind_index(phone, purpose="phone"),
                                                    text="新", purpose="test", idempotency_key=f"rot-new-{n}")
                    expected[new.pk] = phone
                    writes["inserts"] += 1
                time.sleep(0.001)
        except BaseException as e:  # reported by the main thread
            errors.append(e)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        out = _rotate("--batch-size", "100")
        during = writes["updates"]
    finally:
        done.set()
        thread.join(timeout=120)
    assert not errors, errors
    assert "轮换完成" in out and writes["updates"] >= 200
    assert during >= 20, f"only {during} writes happened while the rotation ran"
    assert _left(new_id) == 0
    settings.FIELD_ENCRYPTION_KEY = NEW
    actual = dict(SmsMessage.objects.values_list("pk", "phone"))
    assert actual == expected
    for pk, phone in list(actual.items())[:200]:
        assert SmsMessage.objects.filter(phone_hash=blind_index(phone, purpose="phone"), pk=pk).exists()


def test_it_re_encrypts_stored_files_under_the_new_key(old_key: None, personas: Personas, settings: Any,
                                                       django_capture_on_commit_callbacks: Any) -> None:
    from django.core.files.storage import storages
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zghz.files.models import StoredFile
    from zghz.files.services import read_stored, store_upload
    from zghz.units.tests.helpers import png_upload

    upload: SimpleUploadedFile = png_upload()
    stored = store_upload(upload=upload, purpose="licence", actor=personas.unit_a.handler, unit=personas.unit_a)
    plain, old_name = read_stored(stored), stored.storage_name
    settings.FIELD_ENCRYPTION_KEY = f"{NEW},{OLD}"
    with django_capture_on_commit_callbacks(execute=True):
        assert "文件：重新加密 1 个，0 个已使用新密钥" in _rotate("--files")
    stored = StoredFile.objects.get(pk=stored.pk)
    assert stored.storage_name != old_name and not storages["private"].exists(old_name)
    settings.FIELD_ENCRYPTION_KEY = NEW
    assert read_stored(stored) == plain
    assert "文件：重新加密 0 个，1 个已使用新密钥" in _rotate("--files")
