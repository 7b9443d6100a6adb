"""Schemathesis against the live OpenAPI document of /api/v1: every operation, with generated valid and
invalid requests, through the real WSGI application — the member API with a real bearer token (a fresh one
per request, since `logout` revokes it), the settlement push with real signed requests of a real key.
Zero server errors and zero violations of the document (status codes, content types, headers, response
schemas) are allowed; the summary is printed."""

from __future__ import annotations

import io
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from zghz.accounts.models import User
from zghz.accounts.services import member_token_issue
from zghz.apikeys.services import api_client_create, signature
from zghz.claims.tests.review_factories import claim, coverage, plan_year
from zghz.conftest import Personas, clear_cache

SETTLEMENTS = "/api/v1/settlements"
EXAMPLES_PER_OPERATION = 30  # about a minute on SQLite, under two on PostgreSQL


def signing(app: Callable[..., Iterable[bytes]], key_id: str, secret: str) -> Callable[..., Iterable[bytes]]:
    """The 医保 system's side of the settlement push: requests that carry our key id are signed over the
    exact bytes they send (timestamp, fresh nonce, HMAC), as a client would; others pass unchanged."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == SETTLEMENTS and environ.get("HTTP_X_API_KEY") == key_id:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            stamp, nonce = str(int(time.time())), secrets.token_hex(16)
            environ.update(HTTP_X_API_TIMESTAMP=stamp, HTTP_X_API_NONCE=nonce,
                           HTTP_X_API_SIGNATURE=signature(secret, method=environ["REQUEST_METHOD"], path=SETTLEMENTS,
                                                          timestamp=stamp, nonce=nonce, body=body))
        # As Django's test client does: the request must not close the test's database connection.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            return list(app(environ, start_response))
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)

    return wrapped


@pytest.fixture
def own_claim(personas: Personas) -> str:
    """A 待上传 重疾 claim of the member (whose documents the generated uploads try to be)."""
    return claim(coverage(personas.member, personas.unit_a, plan_year(year=date.today().year))).number


def exercise(label: str, strategy: Any, statuses: Counter[tuple[str, int]], failures: list[str]) -> int:
    """Send EXAMPLES_PER_OPERATION generated requests of one operation and check each answer against the
    document; answers how many were sent, and collects the statuses and failures."""
    sent = 0

    @given(case=strategy)
    @examples(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        nonlocal sent
        sent += 1
        try:
            response = case.call()
            statuses[label, response.status_code] += 1
            case.validate_response(response)
        except (Exception, BaseExceptionGroup) as e:  # schemathesis' FailureGroup is a BaseExceptionGroup
            failures.append(f"{label}: {type(e).__name__}: {str(e)[:1500]}")

    run()
    return sent


def test_the_api_keeps_its_openapi_document(personas: Personas, own_claim: str, settings: Any, tmp_path: Any,
                                            capsys: Any) -> None:
    settings.SMS_OUTBOX_PATH = str(tmp_path / "sms-outbox.jsonl")
    clear_cache()
    key = api_client_create(name="医保结算推送")
    app = signing(WSGIHandler(), key.key_id, key.secret)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # A request that fits the document may still break a rule of the domain (a wrong 验证码, an empty push,
    # a file that is no image): that is the declared 400 with its Chinese message.
    acceptance = schema.config.checks.positive_data_acceptance
    acceptance.expected_statuses = [*acceptance.expected_statuses, "400"]
    assert personas.member.account is not None
    member: User = personas.member.account

    @schema.auth(refresh_interval=None)
    class RealCredentials:
        """A fresh member token for every member request (logout revokes the one it is sent with); the
        real key id for the settlement push, which `signing` then signs."""

        def get(self, case: Any, context: Any) -> str:
            return ""

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers = dict(case.headers or {})
            if "/member/" in case.operation.path:
                case.headers["Authorization"] = f"Bearer {member_token_issue(user=member).access_token}"
            elif case.operation.path.endswith("/settlements"):
                case.headers["X-Api-Key"] = key.key_id

    operations, cases, statuses = 0, Counter[str](), Counter[tuple[str, int]]()
    failures: list[str] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # a part of the document schemathesis cannot read fails the test
        operation = result.ok()
        operations += 1
        strategies = [operation.as_strategy(mode) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
        if "{claim_number}" in operation.path:  # the member's own claim too, not only unknown numbers
            strategies.append(operation.as_strategy(path_parameters={"claim_number": own_claim}))
        cases[operation.label] = exercise(operation.label, st.one_of(strategies), statuses, failures)
    clear_cache()
    total = sum(cases.values())
    by_status = Counter[int]()
    for (_label, status), n in statuses.items():
        by_status[status] += n
    with capsys.disabled():
        print(f"\nschemathesis {schemathesis.SCHEMATHESIS_VERSION}: {operations} operations, {total} cases, "
              f"{len(failures)} failures; responses by status: {dict(sorted(by_status.items()))}")
        for label, n in sorted(cases.items()):
            answers = {status: k for (lab, status), k in sorted(statuses.items()) if lab == label}
            print(f"  {label}: {n} cases {answers}")
        for f in failures[:20]:
            print("  FAILURE", f)
    assert operations >= 10 and total >= operations * 10
    assert failures == []
    assert 500 not in by_status
    # The real credentials worked: the signed push and the member's reads were answered, not only refused.
    for label in ("POST /api/v1/settlements", "GET /api/v1/member/coverages", "GET /api/v1/member/claims",
                  "GET /api/v1/member/claims/{claim_number}"):
        assert statuses[label, 200] > 0, label
