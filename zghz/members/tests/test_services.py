from datetime import date

import pytest
from django.db import connection

from zghz.conftest import make_id
from zghz.core.crypto import blind_index
from zghz.members.models import Person
from zghz.members.selectors import person_by_id_number, person_ids_by_id_hash
from zghz.members.services import PersonRow, person_upsert_many

pytestmark = pytest.mark.django_db


def _stored(person_id: int, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM members_person WHERE id = %s", [person_id])
        return str(cursor.fetchone()[0])


def test_it_creates_people_from_plain_values_sealed_and_indexed() -> None:
    id_number = make_id("32020219850612123")
    ids = person_upsert_many(rows=[PersonRow.from_plain(id_number=id_number, name="周红", phone="13912345678",
                                                        bank_card="6228480402564890018", bank_name="工商银行")])
    person = Person.objects.get()
    assert ids == {blind_index(id_number, purpose="id"): person.pk}
    assert (person.name, person.id_number, person.birth_date, person.phone, person.bank_card, person.bank_name) == (
        "周红", id_number, date(1985, 6, 12), "13912345678", "6228480402564890018", "工商银行")
    assert person.phone_hash == blind_index("13912345678", purpose="phone")
    # At rest the numbers are ciphertext, never the plain value.
    for column in ("id_number", "phone", "bank_card"):
        assert _stored(person.pk, column).startswith("v1:")


def test_it_updates_a_known_person_from_the_latest_roster_and_keeps_the_key() -> None:
    id_number = make_id("32020219850612124")
    [first] = person_upsert_many(rows=[PersonRow.from_plain(id_number=id_number, name="旧名", phone="13000000000",
                                                            bank_card="1", bank_name="旧行")]).values()
    other = make_id("32020219900101125")
    ids = person_upsert_many(rows=[
        PersonRow.from_plain(id_number=id_number, name="新名", bank_card="6228480402564890026", bank_name="新行"),
        PersonRow.from_plain(id_number=other, name="李四"),
    ])
    assert ids[blind_index(id_number, purpose="id")] == first and len(ids) == 2
    person = Person.objects.get(pk=first)
    assert (person.name, person.phone, person.phone_hash, person.bank_card, person.bank_name) == (
        "新名", "", "", "6228480402564890026", "新行")
    assert (person.id_number, person.birth_date) == (id_number, date(1985, 6, 12))
    assert Person.objects.count() == 2


def test_it_does_nothing_for_no_rows() -> None:
    assert person_upsert_many(rows=[]) == {}
    assert not Person.objects.exists()


def test_it_finds_people_by_the_blind_index_of_their_id() -> None:
    id_number = make_id("32020219850612123")
    person_upsert_many(rows=[PersonRow.from_plain(id_number=id_number, name="周红")])
    person = Person.objects.get()
    # The number as people type it: full-width digits, spaces, a lower-case check x.
    typed = " " + id_number.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}).lower() + " "
    assert person_by_id_number(typed) == person
    assert person_by_id_number("") is None
    assert person_by_id_number(make_id("32020219850612124")) is None
    assert person_ids_by_id_hash([person.id_hash, "", "unknown"]) == {person.id_hash: person.pk}
