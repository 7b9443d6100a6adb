"""What a user may do with one 参保申请 now. Services call `work_order_require` before they write; views,
templates (and later the API) only display `work_order_actions` (see core/actions.py for the pattern).

The checks read the order and its unit (`wo.unit`, loaded with it by every getter) and nothing else."""

from typing import Any

from django.utils.translation import gettext as _

from zghz.accounts.models import User
from zghz.accounts.policy import CONFIRM_PAYMENT, REVIEW_WORK_ORDER, sees_district, staff_can
from zghz.core.actions import Actions
from zghz.core.errors import AlreadyProcessed, DomainError
from zghz.units.policy import NOT_YOURS
from zghz.units.services import unit_require_approved

from .models import WorkOrder

S = WorkOrder.Status
STATUS_TEXT = dict(S.choices)

# The unit's handler.
EDIT = "edit"  # a 暂存 order: 删除 people or the whole order (编辑 in the list)
UPLOAD = "upload"  # 上传花名册 / 添加人员: 暂存, and the unit is 已通过
SUBMIT = "submit"  # 提交: 暂存, and the unit is 已通过
PAY = "pay"  # 付款: 待付款
# Staff.
REVIEW = "review"  # 经办审核 of a 待审核 order
PAYMENT_REVIEW = "payment_review"  # 财务付款审核 of a 付款待审核 order


def _handler(user: Any, wo: WorkOrder) -> None:
    if not (getattr(user, "is_authenticated", False) and user.kind == User.Kind.HANDLER
            and user.pk == wo.unit.handler_id):
        raise DomainError(NOT_YOURS, code="forbidden", status=403)


def _draft(wo: WorkOrder) -> None:
    if wo.status != S.DRAFT:
        raise AlreadyProcessed(_("参保申请当前状态为“{status}”，只有暂存状态可以修改人员").format(
            status=STATUS_TEXT[wo.status]))


def _staff(user: Any, wo: WorkOrder, perm: str, what: str) -> None:
    if not (staff_can(user, perm, write=True) and sees_district(user, wo.unit.district_id)):
        raise DomainError(_("没有{what}的权限").format(what=what), code="forbidden", status=403)


def _status(wo: WorkOrder, status: str) -> None:
    if wo.status != status:
        raise AlreadyProcessed()


def _edit(user: Any, wo: WorkOrder) -> None:
    _handler(user, wo)
    _draft(wo)


def _upload(user: Any, wo: WorkOrder) -> None:
    _handler(user, wo)
    unit_require_approved(wo.unit)
    _draft(wo)


def _submit(user: Any, wo: WorkOrder) -> None:
    _handler(user, wo)
    unit_require_approved(wo.unit)
    _status(wo, S.DRAFT)


def _pay(user: Any, wo: WorkOrder) -> None:
    _handler(user, wo)
    _status(wo, S.AWAITING_PAYMENT)


def _review(user: Any, wo: WorkOrder) -> None:
    _staff(user, wo, REVIEW_WORK_ORDER, _("审核参保申请"))
    _status(wo, S.PENDING)


def _payment_review(user: Any, wo: WorkOrder) -> None:
    _staff(user, wo, CONFIRM_PAYMENT, _("付款审核"))
    _status(wo, S.PAYMENT_REVIEW)


WORK_ORDER_ACTIONS = Actions[WorkOrder]({
    EDIT: _edit, UPLOAD: _upload, SUBMIT: _submit, PAY: _pay, REVIEW: _review, PAYMENT_REVIEW: _payment_review,
})


def work_order_actions(user: Any, wo: WorkOrder) -> frozenset[str]:
    """The names above that `user` may do with `wo` now."""
    return WORK_ORDER_ACTIONS.allowed(user, wo)


def work_order_require(user: Any, wo: WorkOrder, action: str) -> None:
    """Raise the DomainError that says why `user` may not do `action` with `wo` now."""
    WORK_ORDER_ACTIONS.require(user, wo, action)
