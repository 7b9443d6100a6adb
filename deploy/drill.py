"""The restore drill (CI): on the running stack, after the smoke, seed more rows, back up, wipe the
database and the bucket, restore, and verify row counts, checksums, and that every encrypted value and
every stored file still decrypts to what it was.

Run by `deploy/stack drill` with the stack's environment; prints the timings.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "deploy"))

import dataset  # noqa: E402  (sets Django up with the stack's environment)
import httpx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from zghz.core.crypto import blind_index  # noqa: E402
from zghz.files.models import StoredFile  # noqa: E402
from zghz.files.services import read_stored  # noqa: E402
from zghz.ops.encrypted import encrypted_models, plaintext_digest  # noqa: E402
from zghz.sms.models import SmsMessage  # noqa: E402

logging.getLogger("httpx").setLevel(logging.WARNING)
STACK_DIR = Path(os.environ["STACK_DIR"])
BASE = f"http://127.0.0.1:{os.environ['STACK_WEB_PORT']}"
SEED_ROWS = 5000


def check(condition: object, what: str) -> None:
    if not condition:
        raise SystemExit(f"DRILL FAILED: {what}")


def seed() -> None:
    phones = [f"137{n:08d}" for n in range(SEED_ROWS)]
    SmsMessage.objects.bulk_create(
        [SmsMessage(phone=p, phone_hash=blind_index(p, purpose="phone"), text="【演练】续保提醒", purpose="drill",
                    idempotency_key=f"drill-{n}", status=SmsMessage.Status.SENT) for n, p in enumerate(phones)],
        batch_size=1000)


def state() -> dict[str, object]:
    files = {f.pk: hashlib.sha256(read_stored(f)).hexdigest() == f.sha256 for f in StoredFile.objects.all()}
    check(files and all(files.values()), "a stored file does not decrypt to its checksum")
    return {"counts": dataset.counts(), "digests": {m.label: plaintext_digest(m) for m in encrypted_models()},
            "files": sorted(str(k) for k in files)}


def wipe() -> None:
    name = connection.settings_dict["NAME"]
    connection.close()
    env = dataset._pg_env()
    subprocess.run(["psql", "-qd", "postgres", "-c", f'DROP DATABASE "{name}" WITH (FORCE)'], env=env, check=True)
    subprocess.run(["psql", "-qd", "postgres", "-c", f'CREATE DATABASE "{name}"'], env=env, check=True)
    bucket = dataset._bucket()
    bucket.objects.all().delete()
    check(not list(bucket.objects.limit(1)), "the bucket is not empty after the wipe")


def main() -> None:
    seed()
    before = state()
    check(len(before["digests"]) >= 3, f"encrypted models found: {sorted(before['digests'])}")  # type: ignore[arg-type]
    target = STACK_DIR / "backup"
    t0 = time.monotonic()
    manifest = dataset.backup(target)
    t1 = time.monotonic()
    check(settings.FIELD_ENCRYPTION_KEY not in (target / "manifest.json").read_text(), "a key in the manifest")
    for path in target.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in (settings.FIELD_ENCRYPTION_KEY, settings.FIELD_INDEX_KEY, settings.SECRET_KEY):
                check(secret.encode() not in data, f"a key in {path.name}")
    wipe()
    t2 = time.monotonic()
    dataset.restore(target)
    t3 = time.monotonic()
    after = state()
    check(after["counts"] == before["counts"], "row counts differ after the restore")
    check(after["digests"] == before["digests"], "encrypted values differ after the restore")
    check(after["files"] == before["files"], "stored files differ after the restore")
    ready = httpx.get(BASE + "/readyz", timeout=30)
    check(ready.status_code == 200, f"readyz after the restore: {ready.text}")
    # The web processes reconnect to the restored database by themselves.
    check(httpx.get(BASE + "/login/", headers={"X-Forwarded-Proto": "https"}, timeout=30).status_code == 200, "the login page after the restore")
    rows = sum(manifest["counts"].values())
    print(f"drill passed: {rows} rows ({SEED_ROWS} seeded), {len(manifest['files'])} files, "
          f"{len(before['digests'])} encrypted models verified; "  # type: ignore[arg-type]
          f"backup {t1 - t0:.1f} s, wipe {t2 - t1:.1f} s, restore {t3 - t2:.1f} s")


if __name__ == "__main__":
    main()
