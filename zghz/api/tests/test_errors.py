"""The API's answer to a refusal: {"code", "message"} with the DomainError's status."""

import json
from typing import Any

import pytest
from django.test import RequestFactory
from ninja import NinjaAPI
from ninja.testing import TestClient

from zghz.api.api import api
from zghz.api.errors import install_error_handlers
from zghz.core.errors import AlreadyProcessed, DomainError


@pytest.mark.parametrize("error, status, body", [
    (DomainError("请填写驳回原因", field="reason"), 400, {"code": "invalid", "message": "请填写驳回原因"}),
    (DomainError("没有审核参保申请的权限", code="forbidden", status=403),
     403, {"code": "forbidden", "message": "没有审核参保申请的权限"}),
    (AlreadyProcessed(), 409, {"code": "already_processed", "message": "该记录已被处理，请刷新页面查看最新状态"}),
    (DomainError("发送过于频繁，请稍后再试", code="rate_limited", status=429),
     429, {"code": "rate_limited", "message": "发送过于频繁，请稍后再试"}),
])
def test_it_answers_a_domain_error_with_its_code_message_and_status(error: DomainError, status: int,
                                                                    body: dict[str, str]) -> None:
    response = api.on_exception(RequestFactory().get("/api/v1/anything"), error)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert json.loads(response.content) == body


def test_it_catches_a_domain_error_raised_by_an_endpoint(db: Any) -> None:
    # A separate API with the same handlers, so the endpoint exists for this test only.
    local = NinjaAPI(urls_namespace="errors-test")
    install_error_handlers(local)

    @local.post("/decide", auth=None)
    def decide(request: Any) -> dict[str, str]:
        raise AlreadyProcessed()

    response = TestClient(local).post("/decide")
    assert response.status_code == 409
    assert response.json() == {"code": "already_processed", "message": "该记录已被处理，请刷新页面查看最新状态"}
