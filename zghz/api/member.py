"""/api/v1/member/: the member API (SPEC §8, the member H5's data for the 灵锡 APP and other host apps).

手机号 + 短信验证码 login (purpose member_login, the same codes and limits as the H5) answers a short-lived
bearer access token and a refresh token (zghz.accounts.services); every other operation takes
`Authorization: Bearer <access_token>`. The member is the person behind the token's account
(`person_for_member`); every claim is read through `claim_for_member`, so another member's claim is 404,
and the lists through `coverages_of_person` / `claims_of_person`. Phones and bank cards are masked.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.security import HttpBearer
from pydantic import Field

from zghz.accounts.models import MemberToken, User
from zghz.accounts.services import (
    MEMBER_LOGIN_PURPOSE,
    TOKEN_INVALID,
    member_api_login,
    member_token_authenticate,
    member_token_refresh,
    member_token_revoke,
)
from zghz.claims.documents import group_label
from zghz.claims.models import Claim
from zghz.claims.policy import claim_actions
from zghz.claims.selectors import (
    claim_amount,
    claim_card,
    claim_for_member,
    claim_progress,
    claims_of_person,
)
from zghz.claims.services import MAX_FILES, claim_documents_upload
from zghz.core.errors import DomainError
from zghz.core.idcard import mask_phone
from zghz.core.middleware import client_ip
from zghz.coverage.selectors import coverages_of_person, person_plans, person_years
from zghz.members.models import Person
from zghz.members.registration import member_code_send, member_may_log_in
from zghz.members.selectors import person_for_member

from .errors import errors

# Same answer whether or not the phone belongs to a member (SPEC §2).
CODE_SENT = gettext_lazy("验证码已发送，请注意查收短信（5 分钟内有效）")
DONE_NOTICE = gettext_lazy("您参加的“{plan}”互助项目理赔流程已完结，理赔款项将于本月底之前汇入您所在参保单位提供的银行账户，"
                           "详情可登录市总工会微信公众号或灵锡APP工会服务专区进行查询。")
PAID_NOTICE = gettext_lazy("理赔款已打入会员参保续保时提供的银行卡号。")


class MemberBearer(HttpBearer):
    """`Authorization: Bearer <access_token>`; `request.auth` is the live MemberToken."""

    def authenticate(self, request: HttpRequest, token: str) -> MemberToken:
        found = member_token_authenticate(token=token)
        if found is None:
            raise DomainError(TOKEN_INVALID, code="invalid_token", status=401)
        return found


router = Router(tags=["会员"])
bearer = MemberBearer()


def _member(request: HttpRequest) -> tuple[User, Person]:
    token: MemberToken = request.auth  # type: ignore[attr-defined]
    return token.user, person_for_member(token.user)


def _money(value: Decimal | None) -> str | None:
    return f"{value:.2f}" if value is not None else None


# ---------------------------------------------------------------------------------------------------
# Schemas


PHONE = Field(min_length=1, max_length=20, description="手机号")


class SmsCodeIn(Schema):
    phone: str = PHONE


class LoginIn(Schema):
    phone: str = PHONE
    code: str = Field(min_length=1, max_length=10, description="短信验证码（6 位数字）")


class RefreshIn(Schema):
    refresh_token: str = Field(min_length=1, max_length=200)


class MessageOut(Schema):
    message: str


class TokenOut(Schema):
    access_token: str
    refresh_token: str
    token_type: str = Field(description="Bearer")
    expires_in: int = Field(description="访问令牌有效秒数")
    refresh_expires_in: int = Field(description="刷新令牌有效秒数")


class ChoiceOut(Schema):
    id: int
    name: str


class CoverageOut(Schema):
    work_order_number: str = Field(description="工单编号")
    plan_id: int
    plan: str = Field(description="参保项目")
    unit: str = Field(description="参保单位")
    start_date: date = Field(description="保障开始日期")
    end_date: date = Field(description="保障结束日期")
    premium: str = Field(description="缴费金额（元，两位小数）")


class FilterChoicesOut(Schema):
    plans: list[ChoiceOut] = Field(description="参保项目下拉选项")
    years: list[int] = Field(description="参保时间下拉选项（年份，新的在前）")


class CoverageListOut(FilterChoicesOut):
    items: list[CoverageOut]


class ClaimRowOut(Schema):
    number: str = Field(description="理赔编号")
    plan: str = Field(description="参保项目")
    kind: str = Field(description="报销险种：住院 / 重疾 / 意外")
    kind_code: str
    status: str = Field(description="状态：待上传、待初审、待复核、待报告复核、已完成、已支付、已驳回、已退回")
    status_code: str
    diagnosed_on: date = Field(description="确诊时间")
    diagnosis_name: str = Field(description="疾病名称")
    amount: str | None = Field(description="理赔金额（元）；已驳回时为空")
    declared_at: datetime | None = Field(description="申报时间；待上传时为空")
    completed_at: datetime | None = Field(description="完成时间")


class ClaimListOut(FilterChoicesOut):
    items: list[ClaimRowOut]


class ProgressOut(Schema):
    node: str = Field(description="节点：系统自动审核 / 经办初审 / 业务复核 / 报告复核")
    node_code: str
    decision: str = Field(description="同意 / 不同意 / 退回")
    actor: str = Field(description="处理人")
    at: datetime
    comment: str


class GroupOut(Schema):
    code: str
    label: str


class ClaimDetailOut(ClaimRowOut):
    name: str = Field(description="理赔人")
    phone: str = Field(description="手机号（脱敏）")
    bank_card: str = Field(description="银行卡号（脱敏，如 6228 **** **** 4171）")
    reject_reason: str = Field(description="驳回原因（已驳回时）")
    return_comment: str = Field(description="退回意见（已退回时）")
    progress: list[ProgressOut] = Field(description="理赔进度")
    done: bool = Field(description="理赔完成（已完成或已支付）")
    done_notice: str = Field(description="理赔完成时的提示")
    upload_groups: list[GroupOut] = Field(description="现在可上传的材料类型（待上传或已退回的重疾理赔）")


def _row(c: Claim) -> dict[str, Any]:
    return {"number": c.number, "plan": c.plan_year.plan.name, "kind": c.get_kind_display(), "kind_code": c.kind,
            "status": c.get_status_display(), "status_code": c.status, "diagnosed_on": c.diagnosed_on,
            "diagnosis_name": c.diagnosis_name, "amount": _money(claim_amount(c)), "declared_at": c.declared_at,
            "completed_at": c.completed_at}


def _detail(user: User, c: Claim) -> dict[str, Any]:
    person = c.person
    done = c.status in (Claim.Status.COMPLETED, Claim.Status.PAID)
    notice = ""
    if done:
        notice = str(PAID_NOTICE) if c.status == Claim.Status.PAID else str(DONE_NOTICE).format(plan=c.plan_year.plan.name)
    groups = claim_actions(user, c).upload_groups
    return {**_row(c), "name": person.name, "phone": mask_phone(person.phone) if person.phone else "",
            "bank_card": claim_card(c), "reject_reason": c.reject_reason if c.status == Claim.Status.REJECTED else "",
            "return_comment": c.return_comment if c.status == Claim.Status.RETURNED else "",
            "progress": [{"node": r.node, "node_code": r.code, "decision": r.decision, "actor": r.actor, "at": r.at,
                          "comment": r.comment} for r in claim_progress(c)],
            "done": done, "done_notice": notice,
            "upload_groups": [{"code": g, "label": group_label(g)} for g in groups]}


# ---------------------------------------------------------------------------------------------------
# Login


@router.post("/sms/code", auth=None, response={200: MessageOut, **errors(400, 429)}, summary="获取登录验证码",
             description="向会员手机号发送登录验证码（5 分钟内有效）。无论手机号是否为会员，回答都相同；发送频率受限"
                         "（同一手机号 60 秒一次、1 小时 5 次、每天 10 次，同一网络 1 小时 20 次，超出时 429）。")
def sms_code(request: HttpRequest, data: SmsCodeIn) -> dict[str, str]:
    # The H5's rule: a login code is delivered only to a registered member, the answer is the same.
    member_code_send(phone=data.phone, purpose=MEMBER_LOGIN_PURPOSE, ip=client_ip(request))
    return {"message": str(CODE_SENT)}


@router.post("/login", auth=None, response={200: TokenOut, **errors(400, 429)}, summary="短信验证码登录",
             description="手机号 + 验证码换取访问令牌（15 分钟）和刷新令牌（30 天）。验证码错误与手机号不是会员回答相同；"
                         "同一网络 1 小时内登录失败 10 次后该网络 1 小时内不能登录（429）。")
def login(request: HttpRequest, data: LoginIn) -> dict[str, Any]:
    issued = member_api_login(phone=data.phone.strip(), code=data.code, ip=client_ip(request),
                              may_log_in=member_may_log_in)
    return issued.__dict__


@router.post("/token/refresh", auth=None, response={200: TokenOut, **errors(400, 401)}, summary="刷新访问令牌",
             description="用刷新令牌换一对新令牌，旧的一对随即失效；同一刷新令牌再次使用时，该会员的全部令牌失效。")
def refresh(request: HttpRequest, data: RefreshIn) -> dict[str, Any]:
    return member_token_refresh(refresh_token=data.refresh_token, ip=client_ip(request)).__dict__


@router.post("/logout", auth=bearer, response={200: MessageOut, **errors(401)}, summary="退出登录",
             description="当前访问令牌及其刷新令牌立即失效。")
def logout(request: HttpRequest) -> dict[str, str]:
    member_token_revoke(token=request.auth, ip=client_ip(request))  # type: ignore[attr-defined]
    return {"message": _("已退出登录")}


# ---------------------------------------------------------------------------------------------------
# 参保记录 and 理赔记录


class ListQuery(Schema):
    plan_id: int | None = Field(None, ge=1, le=2_147_483_647, description="参保项目（plans 中的 id）")
    year: int | None = Field(None, ge=1900, le=2999, description="参保时间：该年度内任一天处于保障期")


def _choices(person: Person) -> dict[str, Any]:
    return {"plans": [{"id": p.pk, "name": p.name} for p in person_plans(person)], "years": person_years(person)}


@router.get("/coverages", auth=bearer, response={200: CoverageListOut, **errors(401, 404)}, summary="我的参保记录",
            description="本人的参保记录，新的在前；可按参保项目和参保时间（年份）筛选。")
def my_coverages(request: HttpRequest, q: Query[ListQuery]) -> dict[str, Any]:
    _user, person = _member(request)
    items = [{"work_order_number": c.work_order_number, "plan_id": c.plan_id, "plan": c.plan.name, "unit": c.unit.name,
              "start_date": c.start_date, "end_date": c.end_date, "premium": _money(c.premium)}
             for c in coverages_of_person(person, plan_id=q.plan_id, year=q.year)]
    return {"items": items, **_choices(person)}


@router.get("/claims", auth=bearer, response={200: ClaimListOut, **errors(401, 404)}, summary="我的理赔记录",
            description="本人的理赔记录（待上传的在前，其余按申报时间新的在前）；可按参保项目和参保时间筛选。")
def my_claims(request: HttpRequest, q: Query[ListQuery]) -> dict[str, Any]:
    _user, person = _member(request)
    return {"items": [_row(c) for c in claims_of_person(person, plan_id=q.plan_id, year=q.year)], **_choices(person)}


@router.get("/claims/{claim_number}", auth=bearer, response={200: ClaimDetailOut, **errors(401, 404)},
            summary="理赔详情", description="理赔详情与理赔进度；手机号和银行卡号脱敏。别人的理赔回答 404。")
def claim_detail(request: HttpRequest, claim_number: str) -> dict[str, Any]:
    user, person = _member(request)
    return _detail(user, claim_for_member(person, claim_number))


# An empty file part is dropped by the multipart parser: the document says a file has at least one byte.
_NON_EMPTY_FILES = {"requestBody": {"content": {"multipart/form-data": {"schema": {"properties": {
    "files": {"items": {"type": "string", "format": "binary", "minLength": 1}}}}}}}}


@router.post("/claims/{claim_number}/documents", auth=bearer, openapi_extra=_NON_EMPTY_FILES,
             response={200: ClaimDetailOut, **errors(400, 401, 403, 404, 409)}, summary="上传病理报告",
             description="为待上传或已退回的重疾理赔上传材料（multipart/form-data）：group 为 exam_report（检查报告单/病理报告）"
                         "或 discharge（出院记录/出院小结），files 为一张或多张 png/jpg/jpeg 图片。两类材料都齐全后理赔进入待初审。")
def upload_documents(request: HttpRequest, claim_number: str,
                     group: Literal["exam_report", "discharge"] = Form(..., description="材料类型"),
                     files: list[UploadedFile] = File(..., min_length=1, max_length=MAX_FILES,  # noqa: B008
                                                      description="图片（png/jpg/jpeg）")) -> dict[str, Any]:
    user, person = _member(request)
    claim = claim_for_member(person, claim_number)
    claim_documents_upload(actor=user, claim=claim, group=group, files=files)
    return _detail(user, claim_for_member(person, claim_number))
