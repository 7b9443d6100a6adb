"""Writes of 参保人员 (insured people): the one place that creates or updates a Person.

A person is keyed by the blind index of the ID number. Name, phone and bank card follow the latest
roster that carried them (SPEC §4): a completed 参保申请 upserts its people here before coverage is
created for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from zghz.core.bulk import db_value, insert_rows
from zghz.core.crypto import Sealed, blind_index, seal
from zghz.core.idcard import birth_date as birth_date_of

from .models import Person
from .selectors import id_hash_of, person_ids_by_id_hash


@dataclass(frozen=True)
class PersonRow:
    """One person as a roster carries them, ready for the database.

    The personal numbers are sealed (ciphertext, as in any encrypted column): a 50,000-person
    completion copies them from its lines without decrypting and re-sealing every card. Build a row
    from plain values with `from_plain`.
    """

    id_hash: str
    name: str
    id_number: Sealed
    birth_date: date
    phone: Sealed  # Sealed("") when there is none
    phone_hash: str  # "" when there is no phone
    bank_card: Sealed
    bank_name: str

    @classmethod
    def from_plain(cls, *, id_number: str, name: str, phone: str = "", bank_card: str = "",
                   bank_name: str = "") -> PersonRow:
        """A row from plain, already validated values (a valid resident ID number)."""
        return cls(id_hash=id_hash_of(id_number), name=name, id_number=seal(id_number),
                   birth_date=birth_date_of(id_number), phone=seal(phone),
                   phone_hash=blind_index(phone, purpose="phone") if phone else "", bank_card=seal(bank_card),
                   bank_name=bank_name)


_FIELDS = ("id_hash", "name", "id_number", "birth_date", "phone", "phone_hash", "bank_card", "bank_name",
           "created_at", "updated_at")
# A known person keeps their ID and birth date (the key) and takes the roster's name, phone and card.
_ON_CONFLICT = ("ON CONFLICT (id_hash) DO UPDATE SET name = excluded.name, phone = excluded.phone, "
                "phone_hash = excluded.phone_hash, bank_card = excluded.bank_card, "
                "bank_name = excluded.bank_name, updated_at = excluded.updated_at")


_KEEP_KNOWN = "ON CONFLICT (id_hash) DO NOTHING"


def person_upsert_many(*, rows: Iterable[PersonRow], keep_known: bool = False) -> dict[str, int]:
    """Create the unknown people of `rows` and update the known ones; returns id_hash -> person id.

    `rows` name distinct people. Set-based: one COPY on PostgreSQL (one INSERT on SQLite) and one look-up
    per 1,000 people for the ids, whatever the number of people. It is a step of a larger action, inside
    that action's transaction and under its audit row (the completion of a 参保申请 records
    `work_order.payment_approve` with the number of people), so it records none itself.

    `keep_known`: known people keep what they have (records from the previous system are older than
    any roster the scheme has seen), only unknown ones are created.
    """
    field = Person._meta.get_field
    now = db_value(field("created_at"), timezone.now())
    birth = field("birth_date")
    hashes: list[str] = []

    def values() -> Iterator[tuple[object, ...]]:  # made as COPY sends them: `rows` may be a generator
        for r in rows:
            hashes.append(r.id_hash)
            yield (r.id_hash, r.name, r.id_number, db_value(birth, r.birth_date), r.phone, r.phone_hash, r.bank_card,
                   r.bank_name, now, now)

    with transaction.atomic():
        if not insert_rows(Person, _FIELDS, values(), on_conflict=_KEEP_KNOWN if keep_known else _ON_CONFLICT):
            return {}
        return person_ids_by_id_hash(hashes)
