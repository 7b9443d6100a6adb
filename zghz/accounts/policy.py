"""Who may do what: the one place that answers "is this an active staff member with permission X".

Roles are Django groups holding the permissions of roles.py; nothing else reads `is_staff`, `kind` or
`has_perm` to decide access. Two permissions are orthogonal to the others:

- `write_backoffice`: may change anything at all. Without it a staff member only looks (区局 today);
- `view_all_districts`: sees every unit; without it only the units of the district on the account.

so a city-wide read-only viewer and a district-scoped writer are both a matter of role configuration.
What one may do with one object *now* (its status included) is answered per entity next to its model:
`unit_actions` (units/policy.py) and `work_order_actions` (enrolment/policy.py).
"""

from typing import Any, TypeGuard

from django.utils.translation import gettext as _

from zghz.core.errors import DomainError

from .models import User

VIEW_BACKOFFICE = "accounts.view_backoffice"
WRITE = "accounts.write_backoffice"
ALL_DISTRICTS = "accounts.view_all_districts"
REVIEW_UNIT = "accounts.review_unit"
EDIT_UNIT = "accounts.edit_unit"
CHANGE_HANDLER = "accounts.change_handler"
REVIEW_WORK_ORDER = "accounts.review_work_order"
CONFIRM_PAYMENT = "accounts.confirm_payment"
VIEW_AUDIT = "accounts.view_audit"
VIEW_SMS = "accounts.view_sms"
MANAGE_SYSTEM = "accounts.manage_system"


def is_staff(user: Any) -> TypeGuard[User]:
    """A logged-in, active staff account that no 管理员 has locked, whatever its roles."""
    return bool(getattr(user, "is_authenticated", False) and user.kind == User.Kind.STAFF and user.is_active
                and user.locked_at is None)


def staff_can(user: Any, perm: str | None = None, *, write: bool = False) -> bool:
    """An active staff member allowed into the back office, holding `perm` when given, and allowed to
    change things when `write` is asked for."""
    return (is_staff(user) and user.has_perm(VIEW_BACKOFFICE)
            and (perm is None or user.has_perm(perm))
            and (not write or user.has_perm(WRITE)))


def is_read_only(user: Any) -> bool:
    """A staff member who may look but never change anything (no `write_backoffice`)."""
    return not staff_can(user, write=True)


def sees_all_districts(user: Any) -> bool:
    return staff_can(user, ALL_DISTRICTS)


def staff_district_id(user: Any) -> int | None:
    """The one district a district-scoped staff member sees (None: none at all, or every one)."""
    return user.district_id if staff_can(user) and not sees_all_districts(user) else None


def sees_district(user: Any, district_id: int | None) -> bool:
    """Whether the staff member's scope covers units of `district_id`."""
    if not staff_can(user):
        return False
    if sees_all_districts(user):
        return True
    return user.district_id is not None and user.district_id == district_id


def staff_require(user: Any, perm: str, *, what: str, write: bool = True) -> None:
    """Raise the 403 DomainError "没有{what}的权限" unless `staff_can(user, perm, write=write)`."""
    if not staff_can(user, perm, write=write):
        raise DomainError(_("没有{what}的权限").format(what=what), code="forbidden", status=403)
