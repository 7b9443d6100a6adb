from typing import Any

from django.db import models

from zghz.core.middleware import current_ip

from .models import AuditEntry

# Human labels for the audit viewer; the action codes themselves are stable identifiers.
ACTION_LABELS = {
    "login.success": "登录成功",
    "login.failure": "登录失败",
    "login.locked": "账户锁定",
    "logout": "退出登录",
    "sms.code_sent": "发送验证码",
    "sms.code_refused": "验证码发送被限制",
    "sms.sent": "发送短信",
    "unit.register": "单位注册",
    "unit.profile_save": "保存单位信息",
    "unit.pledge_confirm": "确认承诺书",
    "unit.submit": "提交审核",
    "unit.approve": "审核通过",
    "unit.reject": "审核驳回",
    "unit.staff_edit": "后台修改单位信息",
    "pii.view": "查看完整个人信息",
    "file.download": "下载文件",
    "file.upload": "上传文件",
    "export": "导出",
    "staff.create": "创建后台账户",
    "staff.totp_enrol": "绑定动态口令",
    "district.create": "新增区局",
    "district.rename": "修改区局名称",
    "district.enable": "启用区局",
    "district.disable": "停用区局",
    "plan.create": "新增参保项目",
    "plan_year.create": "新增项目年度",
    "plan_year.update": "修改项目年度",
    "plan_year.new_version": "项目年度生成新版本",
    "work_order.create": "新建参保申请",
    "work_order.upload": "上传花名册",
    "work_order.add_person": "添加参保人员",
    "work_order.delete_lines": "删除不可参保人员",
    "work_order.delete": "删除参保申请",
    "work_order.recheck": "提交前复核不可参保",
    "work_order.submit": "提交参保申请",
    "work_order.approve": "参保申请审核通过",
    "work_order.reject": "参保申请审核驳回",
    "work_order.pay": "提交付款",
    "work_order.payment_approve": "付款审核通过",
    "work_order.payment_reject": "付款审核驳回",
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
