"""POST /api/v1/settlements with signed API keys (SPEC §4)."""

from __future__ import annotations

import io
import json
import secrets
import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from zghz.apikeys.models import ApiClient
from zghz.apikeys.services import api_client_create, signature
from zghz.audit.models import AuditEntry
from zghz.claims.models import Claim, SettlementImport
from zghz.claims.tests.settlement_helpers import START, cover, rec
from zghz.conftest import Personas

URL = "/api/v1/settlements"
DAY = START + timedelta(days=120)


@pytest.fixture
def key(db: Any) -> Any:
    return api_client_create(name="医保结算推送")


def push(client: Client, key: Any, records: Any, *, stamp: int | None = None, nonce: str | None = None,
         secret: str | None = None) -> Any:
    body = json.dumps(records, ensure_ascii=False).encode()
    stamp_s = str(stamp if stamp is not None else int(time.time()))
    nonce = nonce or secrets.token_hex(16)
    sig = signature(secret or key.secret, method="POST", path=URL, timestamp=stamp_s, nonce=nonce, body=body)
    return client.post(URL, body, content_type="application/json", HTTP_X_API_KEY=key.key_id,
                       HTTP_X_API_TIMESTAMP=stamp_s, HTTP_X_API_NONCE=nonce, HTTP_X_API_SIGNATURE=sig)


def test_it_adjudicates_pushed_records_and_answers_the_report(client: Client, personas: Personas, key: Any) -> None:
    cover(personas.member, personas.unit_a)
    records = [rec("JS1", personas.member, admitted=DAY), rec("JS2", personas.member, admitted=DAY, self_pay="x")]
    r = push(client, key, records)
    assert r.status_code == 200, r.content
    rows = r.json()
    claim = Claim.objects.get(settlement__serial="JS1").number
    assert rows == [
        {"row": 1, "serial": "JS1", "outcome": "approved", "amount": "1000.00", "flags": [], "reasons": [],
         "critical_illness": None, "claim": claim},
        {"row": 2, "serial": "JS2", "outcome": "invalid", "amount": None, "flags": [], "reasons": ["bad_amount"],
         "critical_illness": None, "claim": None},
    ]
    batch = SettlementImport.objects.get()
    assert (batch.source, batch.api_client) == ("api", "医保结算推送")
    # idempotent: the same records again (a new, correctly signed request) change nothing
    again = push(client, key, records).json()
    assert [x["outcome"] for x in again] == ["duplicate", "invalid"]
    assert Claim.objects.count() == 1


def test_it_accepts_json_numbers_and_refuses_an_id_sent_as_a_number(client: Client, personas: Personas,
                                                                     key: Any) -> None:
    cover(personas.member, personas.unit_a)
    record = {**rec("JS1", personas.member, admitted=DAY), "self_pay": 3000.5, "total_cost": 20000}
    assert push(client, key, [record]).json()[0]["amount"] == "1000.25"
    numeric_id = {**rec("JS2", personas.member, admitted=DAY), "id_number": 320202199001011234}
    assert push(client, key, [numeric_id]).json()[0]["reasons"] == ["bad_id"]


@pytest.mark.parametrize("case", ["bad_signature", "stale_request", "unknown_key", "missing_signature"])
def test_it_refuses_a_request_that_is_not_properly_signed(client: Client, personas: Personas, key: Any,
                                                          case: str) -> None:
    cover(personas.member, personas.unit_a)
    records = [rec("JS1", personas.member, admitted=DAY)]
    if case == "bad_signature":
        r = push(client, key, records, secret="not-the-secret")
    elif case == "stale_request":
        r = push(client, key, records, stamp=int(time.time()) - 301)
    elif case == "unknown_key":
        r = push(client, type(key)(key.client, "ak_unknown", key.secret), records)
    else:
        r = client.post(URL, json.dumps(records), content_type="application/json")
    assert r.status_code == 401 and r.json()["code"] == case
    assert not Claim.objects.exists() and not SettlementImport.objects.exists()
    assert AuditEntry.objects.filter(action="api.auth_failed", result="refused").exists()


def test_it_refuses_a_replayed_request(client: Client, personas: Personas, key: Any) -> None:
    cover(personas.member, personas.unit_a)
    records = [rec("JS1", personas.member, admitted=DAY)]
    nonce = secrets.token_hex(16)
    assert push(client, key, records, nonce=nonce).status_code == 200
    replay = push(client, key, records, nonce=nonce)
    assert replay.status_code == 401 and replay.json()["code"] == "replayed_request"
    # a tampered body under the old signature is no better
    body = json.dumps([rec("JS9", personas.member, admitted=DAY)]).encode()
    stamp = str(int(time.time()))
    n2 = secrets.token_hex(16)
    sig = signature(key.secret, method="POST", path=URL, timestamp=stamp, nonce=n2, body=b"[]")
    r = client.post(URL, body, content_type="application/json", HTTP_X_API_KEY=key.key_id,
                    HTTP_X_API_TIMESTAMP=stamp, HTTP_X_API_NONCE=n2, HTTP_X_API_SIGNATURE=sig)
    assert r.status_code == 401 and r.json()["code"] == "bad_signature"


def test_it_creates_and_revokes_keys_from_the_command_line(client: Client, personas: Personas) -> None:
    cover(personas.member, personas.unit_a)
    out = io.StringIO()
    call_command("create_api_client", "医保结算推送", stdout=out)
    lines = dict(line.split(": ", 1) for line in out.getvalue().splitlines() if ": " in line)
    issued = ApiClient.objects.get(key_id=lines["key_id"])
    assert issued.secret == lines["secret"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM apikeys_apiclient WHERE id = %s", [issued.pk])
        stored = cursor.fetchone()[0]
    assert lines["secret"] not in stored  # encrypted at rest
    key = type("Key", (), {"key_id": lines["key_id"], "secret": lines["secret"]})()
    assert push(client, key, [rec("JS1", personas.member, admitted=DAY)]).status_code == 200
    call_command("revoke_api_client", lines["key_id"], stdout=io.StringIO())
    r = push(client, key, [rec("JS2", personas.member, admitted=DAY)])
    assert r.status_code == 401 and r.json()["code"] == "revoked_key"


def test_it_limits_the_batch_size_and_documents_the_endpoint(client: Client, key: Any) -> None:
    assert push(client, key, []).status_code == 400
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/settlements" in schema["paths"]


def test_it_refuses_a_cell_that_is_neither_text_nor_number(client: Client, personas: Personas, key: Any) -> None:
    # true/false would otherwise be read as the numbers 1 and 0.
    r = push(client, key, [{**rec("JS1", personas.member, admitted=DAY), "self_pay": True}])
    assert r.status_code == 422 and r.json() == {"code": "invalid_request", "message": "请求参数不正确：records.0.self_pay"}
    assert not SettlementImport.objects.exists()
