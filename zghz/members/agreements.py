"""The texts a member agrees to when registering in the H5 (SPEC §8): 隐私协议 and 服务声明.

Each text carries a version. A consent row (`MemberConsent`) keeps the version the member ticked, so a
later edition never rewrites what somebody agreed to: publish a new edition by appending it to EDITIONS
with a new version; the newest edition of each kind is the one shown and recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise

PRIVACY = "privacy"
SERVICE = "service"


@dataclass(frozen=True)
class Agreement:
    kind: str
    version: str
    title: StrPromise
    paragraphs: tuple[StrPromise, ...]


EDITIONS: tuple[Agreement, ...] = (
    Agreement(PRIVACY, "2026.1", _("隐私协议"), (
        _("无锡市总工会职工互助保障管理平台（以下简称“本平台”）依照《中华人民共和国个人信息保护法》处理您的个人信息。"),
        _("本平台收集您的姓名、身份证号、手机号，用于核验您是否为参保会员，并向您展示本人的参保记录与理赔记录；"
          "您所在单位报送的社保卡银行卡号用于理赔款的发放；您上传的病理报告、出院记录等材料仅用于重疾理赔审核。"),
        _("身份证号、银行卡号、手机号与医疗材料均加密保存，页面上只显示部分号码；每一次查看与处理都有记录可查。"),
        _("除理赔审核、理赔款发放及法律法规要求外，本平台不向任何第三方提供您的个人信息。"),
        _("您可以通过所在单位经办人或市总工会查询、更正您的个人信息。"),
    )),
    Agreement(SERVICE, "2026.1", _("服务声明"), (
        _("本平台为参加职工互助保障的会员提供参保记录查询、理赔记录查询和重疾理赔材料上传服务。"),
        _("住院理赔依据医保结算数据自动办理，无需个人申请；重疾理赔请按短信提醒上传病理报告及出院记录；"
          "意外及工伤理赔请通过所在单位经办人线下办理。"),
        _("请如实提供材料。提供虚假材料骗取互助金的，将追回已给付款项并依法处理。"),
        _("理赔款项汇入您所在参保单位提供的银行账户，以实际到账为准。"),
    )),
)


def current(kind: str) -> Agreement:
    """The newest edition of `kind` (the last one listed)."""
    return [a for a in EDITIONS if a.kind == kind][-1]


def current_all() -> list[Agreement]:
    return [current(PRIVACY), current(SERVICE)]
