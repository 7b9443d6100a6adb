"""What the claims app registers with the shared apps: audit action labels, the 理赔通知 SMS purpose and the 理赔记录 export (loaded when Django starts)."""

from django.utils.translation import gettext_lazy

from zghz.audit.registry import register_actions
from zghz.exports.registry import register_export_kind
from zghz.sms.registry import register_purpose

from .exports import CLAIMS_UNIT, claims_unit_export

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

# The claim notices are still free texts (claims/services.py, payouts/services.py); they move to named
# templates here when their wording settles.
register_purpose("claim", gettext_lazy("理赔通知"))

register_export_kind(CLAIMS_UNIT, claims_unit_export)
