"""Stored files follow the transaction that stores them: a block that does not commit leaves no blob."""

from types import SimpleNamespace
from typing import Any

import pytest
from django.db import transaction

from zghz.conftest import Personas
from zghz.core.errors import DomainError
from zghz.files.models import StoredFile
from zghz.files.services import atomic_with_uploads, check_upload, read_stored, save_upload, store_upload

from .helpers import pdf_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db


def _store(personas: Personas, name: str = "证书.png") -> StoredFile:
    return store_upload(upload=upload(name, png_bytes()), purpose="unit_certificate", actor=personas.unit_a.handler,
                        unit=personas.unit_a)


def test_a_single_upload_keeps_its_blob(personas: Personas, blobs: Any) -> None:
    stored = _store(personas)
    assert blobs() == [stored.storage_name]
    assert read_stored(stored).startswith(b"\x89PNG")


def test_a_block_that_raises_deletes_the_blobs_stored_inside_it(personas: Personas, blobs: Any) -> None:
    with pytest.raises(DomainError):
        with atomic_with_uploads():
            _store(personas, "一.png")
            _store(personas, "二.png")
            assert len(blobs()) == 2
            raise DomainError("后面的步骤失败")
    assert blobs() == [] and not StoredFile.objects.exists()


def test_checking_stores_nothing_and_a_refused_file_leaves_nothing(personas: Personas, blobs: Any) -> None:
    checked = check_upload(upload("凭证.pdf", pdf_bytes()))
    assert checked.original_name == "凭证.pdf" and blobs() == []
    with pytest.raises(DomainError):
        with atomic_with_uploads():
            save_upload(checked, purpose="payment_voucher", actor=personas.unit_a.handler, unit=personas.unit_a)
            check_upload(upload("花名册.png", b"not a png"))
    assert blobs() == [] and not StoredFile.objects.exists()


def test_a_nested_block_hands_its_blobs_to_the_enclosing_one(personas: Personas, blobs: Any) -> None:
    with pytest.raises(RuntimeError):
        with atomic_with_uploads():
            with atomic_with_uploads():
                _store(personas)
            assert len(blobs()) == 1  # committed to the savepoint only
            raise RuntimeError("the outer transaction fails")
    assert blobs() == []


def test_a_failed_inner_block_loses_its_blobs_while_the_outer_one_commits(personas: Personas, blobs: Any) -> None:
    with atomic_with_uploads():
        kept = _store(personas, "保留.png")
        try:
            with atomic_with_uploads():
                _store(personas, "丢弃.png")
                raise DomainError("这一份不要了")
        except DomainError:
            pass
    assert blobs() == [kept.storage_name]
    assert list(StoredFile.objects.values_list("original_name", flat=True)) == ["保留.png"]


def test_a_row_that_cannot_be_written_takes_its_blob_with_it(personas: Personas, blobs: Any) -> None:
    checked = check_upload(upload("证书.png", png_bytes()))
    broken_unit = SimpleNamespace(pk="not-a-number", name="某单位")  # the row's unit_id refuses it
    with pytest.raises(ValueError):
        with transaction.atomic():
            save_upload(checked, purpose="unit_certificate", actor=personas.unit_a.handler, unit=broken_unit)
    assert blobs() == [] and not StoredFile.objects.exists()
