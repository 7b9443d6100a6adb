"""POST /api/v1/settlements: the 医保 feed pushes settlement records (SPEC §4, §6.1).

Requests are signed per client (zghz.apikeys): see the OpenAPI description for the headers. The body is
a JSON list of records with the fields below (text, numbers or ISO dates, as the 医保 system has them);
each record is checked exactly like a row of the settlement file and the answer is the SPEC §6.1
report, one object per record in the order sent (`row` = its 1-based position). Sending the same
records again changes nothing: they answer `duplicate`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.security import APIKeyHeader
from pydantic import StrictFloat, StrictInt, StrictStr

from zghz.apikeys.models import ApiClient
from zghz.apikeys.services import api_request_authenticate
from zghz.audit.services import current_ip
from zghz.claims.settlements import settlements_import
from zghz.core.errors import DomainError

from .errors import errors

MAX_RECORDS = 5000
# Text or a number as the 医保 system has it; anything else (true/false, lists, objects) is refused as a
# request that does not fit the document (422), rather than read as a number.
Cell = StrictStr | StrictInt | StrictFloat | None


class SettlementIn(Schema):
    serial: Cell = None  # 结算流水号
    id_number: Cell = None  # 身份证号
    name: Cell = None  # 姓名
    hospital_name: Cell = None  # 医院名称
    admitted_on: Cell = None  # 入院日期 YYYY-MM-DD
    discharged_on: Cell = None  # 出院日期
    diagnosis_code: Cell = None  # 诊断编码 (ICD-10)
    diagnosis_name: Cell = None  # 诊断名称
    total_cost: Cell = None  # 医疗总费用
    fund_paid: Cell = None  # 统筹支付
    self_pay: Cell = None  # 个人自付
    self_expense: Cell = None  # 个人自费
    settled_on: Cell = None  # 结算日期
    settlement_type: Cell = None  # 结算类型: empty, or 撤销 / reversal
    original_serial: Cell = None  # 原结算流水号 (for 撤销)


class RowOut(Schema):
    row: int
    serial: str
    outcome: str
    amount: str | None
    flags: list[str]
    reasons: list[str]
    critical_illness: str | None
    claim: str | None


class SignedRequest(APIKeyHeader):
    """Authentication by a signed request (zghz.apikeys.services); the client is `request.auth`. Declared
    in the OpenAPI document as the X-Api-Key header; the other three headers are in the description."""

    param_name = "X-Api-Key"

    def __call__(self, request: HttpRequest) -> ApiClient:
        return api_request_authenticate(headers=request.headers, method=request.method or "", path=request.path,
                                        body=request.body, ip=current_ip() or "")

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiClient:
        return self(request)


router = Router(tags=["医保结算"])


@router.post("/settlements", auth=SignedRequest(), response={200: list[RowOut], **errors(400, 401, 413)},
             summary="推送医保结算数据",
             description="请求头：X-Api-Key、X-Api-Timestamp（Unix 秒）、X-Api-Nonce（16–64 位随机串，不得重复）、"
                         "X-Api-Signature = hex(HMAC-SHA256(密钥, 方法\\n路径\\n时间戳\\n随机串\\nhex(SHA-256(请求体)))). "
                         "时间戳与服务器相差超过 5 分钟或随机串重复的请求被拒绝（401）。每次最多 5000 条。")
def push_settlements(request: HttpRequest, records: list[SettlementIn]) -> list[dict[str, Any]]:
    if not records:
        raise DomainError(_("请求中没有结算数据"), code="no_data")
    if len(records) > MAX_RECORDS:
        raise DomainError(_("每次最多推送 {max} 条结算数据，请分批推送").format(max=MAX_RECORDS), code="too_many_rows",
                          status=413)
    client: ApiClient = request.auth  # type: ignore[attr-defined]
    rows = [(i, r.model_dump(exclude_none=True)) for i, r in enumerate(records, start=1)]
    report = settlements_import(actor=None, source="api", rows=rows, api_client=client.name)
    return report.as_json()
