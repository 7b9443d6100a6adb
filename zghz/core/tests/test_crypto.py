"""Encryption at rest (SPEC §10 'Personal data'): AES-GCM field encryption, key rotation, blind index, and a
raw look at the database to prove that no plain ID number, card or phone is stored."""

import base64
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings

from zghz.conftest import Personas, make_id
from zghz.core.crypto import (
    DecryptError,
    blind_index,
    decrypt_bytes,
    decrypt_str,
    encrypt_bytes,
    encrypt_str,
    keys,
)
from zghz.members.models import Person

OLD, NEW = "old-secret-0123456789abcdefghijklmnop", "new-secret-0123456789abcdefghijklmnop"


def _stored_token(model: Any, pk: Any, column: str) -> str:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name(column)} FROM {table} WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


def _key_id(token: str) -> str:
    return base64.urlsafe_b64decode(token.split(":", 1)[1])[:8].decode()


def test_it_round_trips_text_and_bytes() -> None:
    for value in ("320202199001011234", "6228480402564890018", "13900000001", "张伟", "x" * 5000):
        token = encrypt_str(value)
        assert token.startswith("v1:") and value not in token
        assert decrypt_str(token) == value
    blob = bytes(range(256)) * 10
    assert decrypt_bytes(encrypt_bytes(blob, aad=b"file"), aad=b"file") == blob


def test_it_encrypts_the_same_plaintext_differently_each_time() -> None:
    tokens = {encrypt_str("320202199001011234") for _ in range(20)}
    assert len(tokens) == 20
    assert {decrypt_str(t) for t in tokens} == {"320202199001011234"}


@pytest.mark.parametrize("position", [0, 8, 19, 20, -1])
def test_it_refuses_a_tampered_ciphertext(position: int) -> None:
    blob = bytearray(encrypt_bytes(b"6228480402564890018"))
    blob[position] ^= 0x01
    with pytest.raises(DecryptError):
        decrypt_bytes(bytes(blob))


def test_it_refuses_truncated_relabelled_and_malformed_tokens() -> None:
    blob = encrypt_bytes(b"13900000001", aad=b"file")
    with pytest.raises(DecryptError):
        decrypt_bytes(blob[:-1], aad=b"file")
    with pytest.raises(DecryptError):
        decrypt_bytes(blob, aad=b"other")  # ciphertext moved to another context
    with pytest.raises(DecryptError):
        decrypt_bytes(b"")
    token = encrypt_str("13900000001")
    for bad in ("v2:" + token[3:], "13900000001", "v1:%%%not-base64", token[:-4]):
        with pytest.raises(DecryptError):
            decrypt_str(bad)


def test_it_decrypts_old_ciphertexts_after_a_key_rotation_and_seals_new_ones_with_the_new_key() -> None:
    with override_settings(FIELD_ENCRYPTION_KEY=OLD):
        old_token = encrypt_str("320202199001011234")
        old_id = keys().current_id
    with override_settings(FIELD_ENCRYPTION_KEY=f"{NEW},{OLD}"):
        assert decrypt_str(old_token) == "320202199001011234"
        new_token = encrypt_str("320202199001011234")
        assert keys().current_id != old_id
        assert _key_id(old_token) == old_id and _key_id(new_token) == keys().current_id
    with override_settings(FIELD_ENCRYPTION_KEY=NEW):
        assert decrypt_str(new_token) == "320202199001011234"
        with pytest.raises(DecryptError):
            decrypt_str(old_token)  # once the old secret is removed its ciphertexts are unreadable


def test_it_keeps_blind_indexes_valid_across_an_encryption_key_rotation() -> None:
    with override_settings(FIELD_ENCRYPTION_KEY=OLD):
        before = blind_index("320202199001011234", purpose="id")
    with override_settings(FIELD_ENCRYPTION_KEY=f"{NEW},{OLD}"):
        assert blind_index("320202199001011234", purpose="id") == before
    with override_settings(FIELD_INDEX_KEY="another-index-secret"):
        assert blind_index("320202199001011234", purpose="id") != before


def test_it_rotates_keys_through_the_model_field(db: Any) -> None:
    id_number = make_id("32020219900101123")
    with override_settings(FIELD_ENCRYPTION_KEY=OLD):
        person = Person.objects.create(name="王芳", id_number=id_number, id_hash="h1",
                                       birth_date="1990-01-01", phone="13912345678",
                                       bank_card="6228480402564890018")
        old_id = keys().current_id
        assert _key_id(_stored_token(Person, person.pk, "id_number")) == old_id
    with override_settings(FIELD_ENCRYPTION_KEY=f"{NEW},{OLD}"):
        person = Person.objects.get(pk=person.pk)
        assert (person.id_number, person.phone, person.bank_card) == (id_number, "13912345678",
                                                                      "6228480402564890018")
        person.save()
        assert _key_id(_stored_token(Person, person.pk, "id_number")) == keys().current_id != old_id
    with override_settings(FIELD_ENCRYPTION_KEY=NEW):
        assert Person.objects.get(pk=person.pk).id_number == id_number


def test_it_stores_ciphertext_and_keeps_blank_values_blank(db: Any) -> None:
    person = Person.objects.create(name="李雷", id_number=make_id("32020219900101124"), id_hash="h2",
                                   birth_date="1990-01-01", phone="", bank_card="")
    assert _stored_token(Person, person.pk, "id_number").startswith("v1:")
    assert _stored_token(Person, person.pk, "phone") == ""
    fresh = Person.objects.get(pk=person.pk)
    assert fresh.phone == "" and fresh.bank_card == ""


def test_it_refuses_to_search_an_encrypted_column(db: Any) -> None:
    from django.core.exceptions import FieldError

    person = Person.objects.create(name="韩梅", id_number=make_id("32020219900101125"), id_hash="h3",
                                   birth_date="1990-01-01", phone="13912345678")
    with pytest.raises(ValueError, match="blind index"):
        Person.objects.filter(phone="13912345678").exists()  # would silently find nothing
    with pytest.raises(FieldError):
        Person.objects.filter(phone__startswith="139").exists()
    assert not Person.objects.filter(pk=person.pk, phone="").exists()
    assert Person.objects.filter(pk=person.pk, bank_card="").exists()
    assert Person.objects.filter(phone_hash=blind_index("13912345678", purpose="phone")).count() == 0
    Person.objects.filter(pk=person.pk).update(phone_hash=blind_index("13912345678", purpose="phone"))
    assert Person.objects.get(phone_hash=blind_index("13912345678", purpose="phone")).pk == person.pk


def test_it_computes_a_deterministic_blind_index_separated_by_purpose() -> None:
    value = "13900000001"
    assert blind_index(value, purpose="phone") == blind_index(value, purpose="phone")
    assert len(blind_index(value, purpose="phone")) == 64
    assert int(blind_index(value, purpose="phone"), 16) >= 0
    assert blind_index(value, purpose="phone") != blind_index(value, purpose="id")
    assert blind_index(value, purpose="phone") != blind_index(value, purpose="card")
    assert blind_index(value, purpose="phone") != blind_index("13900000002", purpose="phone")
    # No boundary confusion between purpose and value.
    assert blind_index("1", purpose="phone0") != blind_index("01", purpose="phone")


def test_it_keys_the_blind_index_with_the_secret() -> None:
    import hashlib

    value = "320202199001011234"
    with override_settings(FIELD_INDEX_KEY=OLD):
        under_old = blind_index(value, purpose="id")
    with override_settings(FIELD_INDEX_KEY=NEW):
        under_new = blind_index(value, purpose="id")
    assert under_old != under_new
    # Not a plain hash that a dictionary of all ID numbers could reverse.
    assert under_old not in {hashlib.sha256(v.encode()).hexdigest() for v in (value, "id\x00" + value)}


def _dump_database() -> list[tuple[str, str, Any]]:
    """Every cell of every table, as a raw SQL dump would show it."""
    cells: list[tuple[str, str, Any]] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                cells.extend((table, column, value) for column, value in zip(columns, row, strict=True))
    return cells


def _contains(value: Any, needle: str) -> bool:
    if value is None:
        return False
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return needle.encode() in value or needle.lower().encode() in value
    return needle.lower() in str(value).lower()


def test_it_leaves_no_plain_id_card_or_phone_in_a_raw_dump(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    from zghz.enrolment.models import WorkOrder, WorkOrderLine
    from zghz.plans.models import Plan, PlanYear
    from zghz.sms.services import sms_queue

    line_id, line_card, line_phone = make_id("32020219850505123"), "6217001234567890123", "13655556666"
    plan = Plan.objects.create(code="SH3", name="三合一")
    year = PlanYear.objects.create(plan=plan, year=2026)
    order = WorkOrder.objects.create(number="CB20260101000001", unit=personas.unit_a, plan_year=year)
    WorkOrderLine.objects.create(work_order=order, plan=plan, name="赵六", id_number=line_id,
                                 id_hash=blind_index(line_id, purpose="id"), bank_card=line_card,
                                 bank_name="建设银行", phone=line_phone)
    with django_capture_on_commit_callbacks(execute=False):
        sms_queue(phone="13577778888", purpose="unit_review", template="approved", params={"unit": "测试单位工会"},
                  idempotency_key="dump-1")

    member = personas.member
    secrets = {
        member.id_number, member.bank_card, member.phone,
        line_id, line_card, line_phone, "13577778888",
    }
    for unit in (personas.unit_a, personas.unit_b, personas.outsider):
        secrets |= {unit.handler_id_number, unit.handler.phone}
    assert all(len(s) in {11, 18, 19} for s in secrets) and len(secrets) == 13

    cells = _dump_database()
    tables = {t for t, _, _ in cells}
    personal = ("members_person", "units_unit", "accounts_user", "sms_smsmessage", "enrolment_workorderline")
    for table in personal:
        assert table in tables, f"{table} missing from the dump"
    # The scan does find plain values: names are stored in clear, and so is the blind index.
    assert any(_contains(v, "赵六") for _, _, v in cells)
    assert any(_contains(v, blind_index(line_id, purpose="id")) for _, _, v in cells)
    leaks = [(t, c, s) for t, c, v in cells for s in secrets if _contains(v, s)]
    assert leaks == []
    # The encrypted columns hold ciphertext, not blanks: the data is really there.
    assert sum(1 for t, c, v in cells if t == "members_person" and str(v).startswith("v1:")) == 3
