"""Reads of 参保人员 (insured people). A person is found by the blind index of the ID number, never by
the number itself (the column is encrypted)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, OuterRef, Subquery
from django.http import Http404

from zghz.accounts.models import User
from zghz.core.bulk import AnyOf, any_chunk_size, chunked
from zghz.core.crypto import blind_index
from zghz.core.idcard import normalise_id

from .models import Person


def id_hash_of(id_number: str) -> str:
    """The blind index a person is keyed by (the ID normalised first: full-width digits, lower-case x)."""
    return blind_index(normalise_id(id_number).upper(), purpose="id")


def person_for_member(user: User) -> Person:
    """The person behind a member account; 404 for anyone else (staff, handlers, a member whose person is
    gone, an inactive account)."""
    if not user.is_authenticated or user.kind != User.Kind.MEMBER or not user.is_active:
        raise Http404
    person = Person.objects.filter(account_id=user.pk).first()
    if person is None:
        raise Http404
    return person


def person_by_id_hash(id_hash: str) -> Person | None:
    return Person.objects.filter(id_hash=id_hash).first() if id_hash else None


def person_by_id_number(id_number: str) -> Person | None:
    return person_by_id_hash(id_hash_of(id_number)) if id_number.strip() else None


def person_ids_by_id_hash(id_hashes: Iterable[str]) -> dict[str, int]:
    """id_hash -> person id for the people known among `id_hashes` (one query on PostgreSQL)."""
    hashes = sorted({h for h in id_hashes if h})
    found: dict[str, int] = {}
    for chunk in chunked(hashes, any_chunk_size()):
        found.update(Person.objects.filter(AnyOf(F("id_hash"), chunk)).order_by().values_list("id_hash", "id"))
    return found


def person_id_subquery(id_hash: OuterRef) -> Subquery:
    """The id of the person whose blind index is `id_hash` (an OuterRef to another table's id_hash
    column), for a set-based UPDATE of rows that point at people."""
    return Subquery(Person.objects.filter(id_hash=id_hash).values("id")[:1])
