"""/healthz and /readyz: what the load balancer and the supervisor ask."""

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db


def test_it_says_the_process_is_up(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_it_refuses_writes_to_the_probes(client: Client) -> None:
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405


def test_it_is_ready_when_database_and_storage_answer(client: Client) -> None:
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok" and body["failed"] == []
    assert body["checks"]["database"] == "ok" and body["checks"]["storage"] == "ok"
    assert ("redis" in body["checks"]) == bool(settings.REDIS_URL)


def test_it_names_unreachable_redis_and_answers_503(client: Client, settings: Any) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["redis"]
    assert response.json()["checks"]["database"] == "ok"


def test_it_names_unreachable_storage_and_answers_503(client: Client, settings: Any) -> None:
    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": "zghz", "endpoint_url": "http://127.0.0.1:1", "access_key": "k",
                    "secret_key": "s", "region_name": "us-east-1"},
    }}
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["storage"]


def test_it_names_an_unreachable_database_and_answers_503(tmp_path: Any) -> None:
    # A separate process whose database cannot be reached at all: nothing in this test's own process
    # can stand in for that.
    code = ("import django, json; django.setup(); from django.test import Client; "
            "r = Client().get('/readyz'); print(json.dumps([r.status_code, r.json()]))")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "zghz.settings", "ZGHZ_VAR_DIR": str(tmp_path),
           "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "REDIS_URL": "", "CELERY_BROKER_URL": ""}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR, capture_output=True,
                         text=True, timeout=60, check=True)
    status, body = json.loads(out.stdout.strip().splitlines()[-1])
    assert status == 503 and body["failed"] == ["database"] and body["checks"]["storage"] == "ok"
