from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy

from zghz.core.middleware import current_ip

from .models import AuditEntry

# Human labels for the audit viewer; the action codes themselves are stable identifiers.
ACTION_LABELS = {
    "login.success": gettext_lazy("登录成功"),
    "login.failure": gettext_lazy("登录失败"),
    "login.locked": gettext_lazy("账户锁定"),
    "logout": gettext_lazy("退出登录"),
    "sms.code_sent": gettext_lazy("发送验证码"),
    "sms.code_refused": gettext_lazy("验证码发送被限制"),
    "sms.sent": gettext_lazy("发送短信"),
    "unit.register": gettext_lazy("单位注册"),
    "unit.profile_save": gettext_lazy("保存单位信息"),
    "unit.pledge_open": gettext_lazy("打开承诺书"),
    "unit.pledge_confirm": gettext_lazy("确认承诺书"),
    "unit.submit": gettext_lazy("提交审核"),
    "unit.approve": gettext_lazy("审核通过"),
    "unit.reject": gettext_lazy("审核驳回"),
    "unit.staff_edit": gettext_lazy("后台修改单位信息"),
    "pii.view": gettext_lazy("查看完整个人信息"),
    "file.download": gettext_lazy("下载文件"),
    "file.upload": gettext_lazy("上传文件"),
    "export": gettext_lazy("导出"),
    "staff.create": gettext_lazy("创建后台账户"),
    "staff.totp_enrol": gettext_lazy("绑定动态口令"),
    "field_key.rotate_start": gettext_lazy("开始轮换字段加密密钥"),
    "field_key.rotate": gettext_lazy("轮换字段加密密钥"),
    "field_key.rotate_files": gettext_lazy("用新密钥重新加密文件"),
    "district.create": gettext_lazy("新增区局"),
    "district.rename": gettext_lazy("修改区局名称"),
    "district.enable": gettext_lazy("启用区局"),
    "district.disable": gettext_lazy("停用区局"),
    "plan.create": gettext_lazy("新增参保项目"),
    "plan_year.create": gettext_lazy("新增项目年度"),
    "plan_year.update": gettext_lazy("修改项目年度"),
    "plan_year.new_version": gettext_lazy("项目年度生成新版本"),
    "work_order.create": gettext_lazy("新建参保申请"),
    "work_order.upload": gettext_lazy("上传花名册"),
    "work_order.add_person": gettext_lazy("添加参保人员"),
    "work_order.delete_lines": gettext_lazy("删除不可参保人员"),
    "work_order.delete": gettext_lazy("删除参保申请"),
    "work_order.recheck": gettext_lazy("提交前复核不可参保"),
    "work_order.submit": gettext_lazy("提交参保申请"),
    "work_order.approve": gettext_lazy("参保申请审核通过"),
    "work_order.reject": gettext_lazy("参保申请审核驳回"),
    "work_order.pay": gettext_lazy("提交付款"),
    "work_order.payment_approve": gettext_lazy("付款审核通过"),
    "work_order.payment_reject": gettext_lazy("付款审核驳回"),
    "claim.agree": gettext_lazy("理赔审核同意"),
    "claim.reject": gettext_lazy("理赔审核不同意"),
    "claim.return": gettext_lazy("理赔退回"),
    "claim.upload": gettext_lazy("会员上传理赔材料"),
    "claim.staff_upload": gettext_lazy("代为上传理赔材料"),
    "claim.accident_create": gettext_lazy("录入意外理赔"),
    "payout_batch.create": gettext_lazy("生成支付批次"),
    "payout_batch.export": gettext_lazy("导出银行文件"),
    "payout_return.import": gettext_lazy("导入回盘"),
    "payout_line.mark": gettext_lazy("标记支付结果"),
    "recovery.resolve": gettext_lazy("处理待追回"),
    "renewal.remind": gettext_lazy("发送续保提醒短信"),
    "renewal.export": gettext_lazy("导出续保名单"),
    "renewal.work_order": gettext_lazy("一键续保"),
}


def record(
    *,
    action: str,
    actor: Any = None,
    unit: Any = None,
    obj: models.Model | None = None,
    result: str = "ok",
    ip: str | None = None,
    **detail: Any,
) -> AuditEntry:
    """Append an audit row. Call it inside the service's transaction so the row and the change agree."""
    actor_kind, actor_id, actor_label = "", None, ""
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_kind, actor_id, actor_label = actor.kind, actor.pk, actor.audit_label
    return AuditEntry.objects.create(
        actor_kind=actor_kind,
        actor_id=actor_id,
        actor_label=actor_label,
        unit_id=getattr(unit, "pk", None),
        unit_name=getattr(unit, "name", "")[:128] if unit is not None else "",
        ip=(ip if ip is not None else current_ip()) or "",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        result=result,
        detail=detail,
    )
