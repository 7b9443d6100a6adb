"""Backups and restores of a deployment: the database (pg_dump custom format) and the object-storage
files (copied as they are: AES-GCM ciphertext), with a manifest of checksums and row counts.

The keys (SECRET_KEY, FIELD_ENCRYPTION_KEY, FIELD_INDEX_KEY) are never written to a backup: they are
kept apart (the deployment's secret store), and a restore needs the same ones configured. The manifest
names only the ids of the encryption keys the data was sealed with (hash prefixes, not key material),
so the operator can tell which keys a restore needs.

    deploy/backup DIR     (environment of the deployment: DATABASE_URL, S3_*)
    deploy/restore DIR    into the database and bucket of the current environment; the database must
                          be empty or disposable (objects are replaced), the bucket gets every file back.

The database is dumped first and the files copied after, so every file the dump refers to is in the
backup (files added meanwhile are extra and harmless; exports older than 7 days may be expired).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zghz.settings")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.db import connection  # noqa: E402

FORMAT = 1
DUMP = "database.dump"
FILES = "files"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_env() -> dict[str, str]:
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("backups need PostgreSQL (DATABASE_URL=postgres://...)")
    return {**os.environ, "PGHOST": db["HOST"] or "127.0.0.1", "PGPORT": str(db["PORT"] or 5432),
            "PGUSER": db["USER"], "PGPASSWORD": db["PASSWORD"], "PGDATABASE": db["NAME"]}


def _bucket() -> Any:
    from django.core.files.storage import storages

    storage = storages["private"]
    bucket = getattr(storage, "bucket", None)
    if bucket is None:
        raise SystemExit("backups copy the files from object storage: S3_BUCKET must be set")
    return bucket


def counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()
            if m._meta.managed and not m._meta.proxy}


def key_ids() -> list[str]:
    from zghz.core.crypto import keys

    return list(keys().ciphers)


def backup(target: Path) -> dict[str, Any]:
    target.mkdir(parents=True, exist_ok=False)
    target.chmod(0o700)
    started = time.monotonic()
    dump = target / DUMP
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(dump)],
                   env=_pg_env(), check=True)
    row_counts = counts()  # after the dump: informative, exact when nothing writes during the backup
    bucket = _bucket()
    files = []
    for obj in bucket.objects.all():
        path = target / FILES / obj.key
        path.parent.mkdir(parents=True, exist_ok=True)
        bucket.download_file(obj.key, str(path))
        files.append({"key": obj.key, "bytes": path.stat().st_size, "sha256": _sha256(path)})
    manifest = {
        "format": FORMAT,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "database": {"file": DUMP, "bytes": dump.stat().st_size, "sha256": _sha256(dump),
                     "name": connection.settings_dict["NAME"]},
        "files": files,
        "counts": row_counts,
        "encryption_key_ids": key_ids(),
        "seconds": round(time.monotonic() - started, 2),
    }
    (target / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def verify(source: Path) -> dict[str, Any]:
    """The manifest, after checking every checksum in it; raises SystemExit on the first mismatch."""
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise SystemExit(f"unknown backup format {manifest.get('format')!r}")
    if _sha256(source / DUMP) != manifest["database"]["sha256"]:
        raise SystemExit("the database dump does not match its checksum")
    for f in manifest["files"]:
        if _sha256(source / FILES / f["key"]) != f["sha256"]:
            raise SystemExit(f"file {f['key']} does not match its checksum")
    missing = set(manifest["encryption_key_ids"]) - set(key_ids())
    if missing:
        raise SystemExit(f"FIELD_ENCRYPTION_KEY lacks the key(s) {sorted(missing)} this backup was sealed with")
    return manifest


def restore(source: Path) -> dict[str, Any]:
    started = time.monotonic()
    manifest = verify(source)
    connection.close()
    subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--exit-on-error",
                    "--dbname", connection.settings_dict["NAME"], str(source / DUMP)], env=_pg_env(), check=True)
    bucket = _bucket()
    for f in manifest["files"]:
        bucket.upload_file(str(source / FILES / f["key"]), f["key"])
    restored = counts()
    wrong = {label: (n, restored.get(label)) for label, n in manifest["counts"].items() if restored.get(label) != n}
    if wrong:
        raise SystemExit(f"row counts differ after the restore (backup, restored): {wrong}")
    return {"files": len(manifest["files"]), "rows": sum(restored.values()),
            "seconds": round(time.monotonic() - started, 2)}


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in {"backup", "restore", "verify"}:
        print("usage: deploy/backup DIR | deploy/restore DIR", file=sys.stderr)
        return 2
    command, path = argv[1], Path(argv[2])
    if command == "backup":
        m = backup(path)
        print(f"backup in {path}: database {m['database']['bytes']} bytes, {len(m['files'])} files, "
              f"{sum(m['counts'].values())} rows, {m['seconds']} s")
    elif command == "verify":
        verify(path)
        print(f"{path}: every checksum matches")
    else:
        r = restore(path)
        print(f"restored {r['rows']} rows and {r['files']} files from {path} in {r['seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
