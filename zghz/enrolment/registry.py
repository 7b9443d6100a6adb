"""What the enrolment app registers with the shared apps: audit action labels and the 参保申请 SMS purpose (loaded when Django starts)."""

from django.utils.translation import gettext_lazy

from zghz.audit.registry import names_from, register_actions, register_object_names
from zghz.core.jobs import register_job
from zghz.sms.registry import register_purpose

from .models import WorkOrder

register_actions({
    "work_order.create": gettext_lazy("新建参保申请"),
    "work_order.upload": gettext_lazy("上传花名册"),
    "work_order.add_person": gettext_lazy("添加参保人员"),
    "work_order.delete_lines": gettext_lazy("删除不可参保人员"),
    "work_order.delete_people": gettext_lazy("删除参保人员"),
    "work_order.delete": gettext_lazy("删除参保申请"),
    "work_order.recheck": gettext_lazy("提交前复核不可参保"),
    "work_order.submit": gettext_lazy("提交参保申请"),
    "work_order.approve": gettext_lazy("参保申请审核通过"),
    "work_order.reject": gettext_lazy("参保申请审核驳回"),
    "work_order.pay": gettext_lazy("提交付款"),
    "work_order.payment_approve_start": gettext_lazy("付款审核通过（生成参保记录）"),
    "work_order.payment_approve": gettext_lazy("付款审核通过"),
    "work_order.payment_reject": gettext_lazy("付款审核驳回"),
})

register_purpose("work_order", gettext_lazy("参保申请审核结果"), templates={
    "approved": "您单位（{unit}）的参保申请{number}已审核通过，应付款参保金额{amount}元，"
                "请登录系统付款并上传付款凭证和盖章参保花名册。",
    "rejected": "您单位（{unit}）的参保申请{number}未通过审核，原因：{reason}。请登录系统修改后重新提交。",
    "payment_confirmed": "您单位（{unit}）的参保申请{number}付款已确认，参保完成，共{count}人。",
    "payment_rejected": "您单位（{unit}）的参保申请{number}付款审核未通过，原因：{reason}。请登录系统重新付款。",
})

register_job("enrolment.PaymentApproval", task="zghz.enrolment.tasks.payment_approval_run", created_field="created_at")
register_object_names("enrolment.workorder", names_from(WorkOrder, "number"))
