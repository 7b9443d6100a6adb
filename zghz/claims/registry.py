"""What the claims app registers with the shared apps: audit action labels, the 理赔通知 SMS purpose and the 理赔记录 export (loaded when Django starts)."""

from django.utils.translation import gettext_lazy

from zghz.audit.registry import names_from, register_actions, register_object_names
from zghz.core.jobs import register_job
from zghz.exports.registry import register_export_kind
from zghz.sms.registry import register_purpose

from .exports import CLAIMS_UNIT, claims_unit_export
from .models import Claim, Recovery, SettlementImport

register_actions({
    "claim.agree": gettext_lazy("理赔审核同意"),
    "claim.reject": gettext_lazy("理赔审核不同意"),
    "claim.return": gettext_lazy("理赔退回"),
    "claim.upload": gettext_lazy("会员上传理赔材料"),
    "claim.staff_upload": gettext_lazy("代为上传理赔材料"),
    "claim.accident_create": gettext_lazy("录入意外理赔"),
    "claim.void": gettext_lazy("理赔作废"),
    "claim.recovery_open": gettext_lazy("产生待追回"),
    "settlement.import": gettext_lazy("导入医保结算数据"),
    "settlement.import_start": gettext_lazy("开始导入医保结算数据"),
    "settlement.report_download": gettext_lazy("下载医保结算导入报告"),
})

# The member's claim notices: 待上传 (claims/settlements.py), 已驳回 and 已退回 (claims/services.py), 已支付
# (payouts/services.py, which pays claims).
register_purpose("claim", gettext_lazy("理赔通知"), templates={
    "pending_upload": "您好，您的住院诊断符合职工互助保障重疾给付条件（理赔编号{number}）。请通过灵锡APP、"
                      "市总工会微信公众号或江苏工会APP上传病理报告和出院小结，审核通过后给付{amount}元。"
                      "上传入口：{link}",
    "rejected": "您的{kind}理赔申请（{number}）未通过审核，原因：{reason}。如有疑问请联系单位经办人。",
    "returned_online": "您的{kind}理赔申请（{number}）需补充材料：{comment}。"
                       "请通过灵锡 APP、市总工会微信公众号或江苏工会 APP 的理赔记录重新上传。上传入口：{link}",
    "returned_offline": "您的{kind}理赔申请（{number}）需补充材料：{comment}。请按要求准备材料，交单位经办人线下提交。",
    "paid": "您参加的“三合一”互助项目理赔（{number}）已支付，金额{amount}元，已汇入您尾号{card_tail}的银行账户，"
            "请注意查收。详情可登录市总工会微信公众号或灵锡APP工会服务专区进行查询。",
})

register_export_kind(CLAIMS_UNIT, claims_unit_export)

register_object_names("claims.claim", names_from(Claim, "number"))
register_object_names("claims.recovery", names_from(Recovery, "claim__number"))
register_job("claims.SettlementImport", task="zghz.claims.tasks.settlement_import_run", created_field="created_at")
register_object_names("claims.settlementimport", names_from(SettlementImport, "file_name"))
