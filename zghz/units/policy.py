"""What a user may do with one unit now. Services call `unit_require` before they write; views and
templates only display `unit_actions` (see core/actions.py for the pattern)."""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zghz.accounts.models import User
from zghz.accounts.policy import CHANGE_HANDLER as CHANGE_HANDLER_PERM
from zghz.accounts.policy import EDIT_UNIT, REVIEW_UNIT, sees_district, staff_can
from zghz.core.actions import Actions
from zghz.core.errors import AlreadyProcessed, DomainError

from .models import Unit

# The handler, on the unit's own 单位信息 page (while 未提交 or 已驳回).
SAVE_PROFILE = "save_profile"  # 保存
CONFIRM_PLEDGE = "confirm_pledge"  # 《承诺书》: open it, 我已阅读完成
SUBMIT = "submit"  # 提交 to review
# Staff.
REVIEW = "review"  # 通过 / 驳回 a 待审核 unit
EDIT = "edit"  # 修改单位信息, whatever the status
REVEAL_ID = "reveal_id"  # 查看完整号码 of the handler's ID number
CHANGE_HANDLER = "change_handler"  # 变更经办人 (承诺书 item 五: units ask staff)

NOT_YOURS = gettext_lazy("没有办理该单位业务的权限")
PROFILE_LOCKED = gettext_lazy("单位信息已提交审核或已通过，如需修改请联系后台工作人员")


def _handler(user: Any, unit: Unit) -> None:
    if not (getattr(user, "is_authenticated", False) and user.kind == User.Kind.HANDLER
            and user.pk == unit.handler_id):
        raise DomainError(NOT_YOURS, code="forbidden", status=403)


def _staff(user: Any, unit: Unit, perm: str, what: str) -> None:
    if not (staff_can(user, perm, write=True) and sees_district(user, unit.district_id)):
        raise DomainError(_("没有{what}的权限").format(what=what), code="forbidden", status=403)


def _save_profile(user: Any, unit: Unit) -> None:
    _handler(user, unit)
    if not unit.profile_editable:
        raise DomainError(PROFILE_LOCKED)


def _confirm_pledge(user: Any, unit: Unit) -> None:
    _handler(user, unit)
    if not unit.profile_editable:
        raise DomainError(_("单位信息已提交，无需再次确认承诺书"))


def _submit(user: Any, unit: Unit) -> None:
    _handler(user, unit)
    if not unit.profile_editable:
        raise AlreadyProcessed(_("单位信息已提交，请等待审核"))


def _review(user: Any, unit: Unit) -> None:
    _staff(user, unit, REVIEW_UNIT, _("审核单位"))
    if unit.status != Unit.Status.PENDING:
        raise AlreadyProcessed()


def _edit(user: Any, unit: Unit) -> None:
    _staff(user, unit, EDIT_UNIT, _("修改单位信息"))


def _reveal_id(user: Any, unit: Unit) -> None:
    _staff(user, unit, REVIEW_UNIT, _("查看完整号码"))
    if not unit.handler_id_number:
        raise DomainError(_("未填写经办人身份证号"), code="not_found", status=404)


def _change_handler(user: Any, unit: Unit) -> None:
    _staff(user, unit, CHANGE_HANDLER_PERM, _("变更经办人"))
    if unit.handler_id is None:
        raise DomainError(_("历史单位没有经办人，请由单位自行注册"))


UNIT_ACTIONS = Actions[Unit]({
    SAVE_PROFILE: _save_profile, CONFIRM_PLEDGE: _confirm_pledge, SUBMIT: _submit,
    REVIEW: _review, EDIT: _edit, REVEAL_ID: _reveal_id, CHANGE_HANDLER: _change_handler,
})


def unit_actions(user: Any, unit: Unit) -> frozenset[str]:
    """The names above that `user` may do with `unit` now."""
    return UNIT_ACTIONS.allowed(user, unit)


def unit_require(user: Any, unit: Unit, action: str) -> None:
    """Raise the DomainError that says why `user` may not do `action` with `unit` now."""
    UNIT_ACTIONS.require(user, unit, action)
