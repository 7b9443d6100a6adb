"""Files in S3-compatible object storage: what lands in the bucket is ciphertext under a random name, and
it comes back decrypted through the same views as before."""

import hashlib
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from zghz.conftest import Personas
from zghz.coverage.exports import COVERAGE_STAFF
from zghz.exports.models import ExportJob
from zghz.exports.services import export_start
from zghz.files.services import read_stored, store_upload

from .conftest import S3Server

pytestmark = pytest.mark.django_db(transaction=True)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def test_it_stores_an_upload_encrypted_in_the_bucket_and_reads_it_back(s3_storage: S3Server,
                                                                      personas: Personas) -> None:
    upload = SimpleUploadedFile("营业执照.png", _png(), content_type="image/png")
    stored = store_upload(upload=upload, purpose="licence", actor=personas.unit_a.handler, unit=personas.unit_a)
    listing = s3_storage.client().list_objects_v2(Bucket=s3_storage.bucket, Prefix="licence/")
    keys = [o["Key"] for o in listing.get("Contents", [])]
    assert stored.storage_name in keys
    raw = s3_storage.client().get_object(Bucket=s3_storage.bucket, Key=stored.storage_name)["Body"].read()
    assert b"PNG" not in raw[:64] and b"IHDR" not in raw  # ciphertext, not the image
    data = read_stored(stored)
    assert hashlib.sha256(data).hexdigest() == stored.sha256 and len(data) == stored.size
    with Image.open(io.BytesIO(data)) as img:
        assert img.size == (64, 48)


def test_it_writes_an_export_to_the_bucket_and_reads_it_back(s3_storage: S3Server, personas: Personas) -> None:
    job = export_start(kind=COVERAGE_STAFF, owner=personas.clerk, params={})
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.error
    assert job.file is not None
    head = s3_storage.client().head_object(Bucket=s3_storage.bucket, Key=job.file.storage_name)
    assert head["ContentLength"] > job.file.size  # nonce, key id and tag on top of the xlsx
    data = read_stored(job.file)
    assert data.startswith(b"PK\x03\x04")


def test_it_answers_readiness_against_the_bucket(s3_storage: S3Server, client: Client, settings: Any) -> None:
    assert client.get("/readyz").json()["checks"]["storage"] == "ok"
    settings.STORAGES = {**settings.STORAGES, "private": {
        **s3_storage.storage_settings(),
        "OPTIONS": {**s3_storage.storage_settings()["OPTIONS"], "bucket_name": "no-such-bucket"}}}
    # A HEAD on a missing bucket is a 404 just like a missing key, so the probe must see the bucket itself.
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["failed"] == ["storage"]


def test_it_re_encrypts_files_in_the_bucket_under_a_new_key(s3_storage: S3Server, personas: Personas,
                                                           settings: Any) -> None:
    from zghz.files.models import StoredFile
    from zghz.ops.rotation import stored_files_rotate

    old_key = settings.FIELD_ENCRYPTION_KEY
    upload = SimpleUploadedFile("营业执照.png", _png(), content_type="image/png")
    stored = store_upload(upload=upload, purpose="licence", actor=personas.unit_a.handler, unit=personas.unit_a)
    plain = read_stored(stored)
    settings.FIELD_ENCRYPTION_KEY = f"new-bucket-key-0123456789abcdefghij,{old_key}"
    assert stored_files_rotate() == (1, 0)  # transaction=True: the old object goes at commit
    moved = StoredFile.objects.get(pk=stored.pk)
    keys = [o["Key"] for o in s3_storage.client().list_objects_v2(Bucket=s3_storage.bucket)["Contents"]]
    assert moved.storage_name in keys and stored.storage_name not in keys
    settings.FIELD_ENCRYPTION_KEY = "new-bucket-key-0123456789abcdefghij"
    assert read_stored(moved) == plain
