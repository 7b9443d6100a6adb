"""What a user may do with one object now: named checks, each raising the DomainError that says why not.

Each entity's app declares its checks once (units/policy.py, enrolment/policy.py; claims will add
claims/policy.py the same way)::

    UNIT_ACTIONS = Actions[Unit]({REVIEW: _review, EDIT: _edit})

    def unit_actions(user, unit) -> frozenset[str]:   # views, templates and the API display this
        return UNIT_ACTIONS.allowed(user, unit)

    def unit_require(user, unit, action) -> None:     # services call this before they write
        UNIT_ACTIONS.require(user, unit, action)

A check looks at who the user is (permissions, scope, ownership) and at the object's state. It must not
query more than the object already carries, so that a list page can show each row's actions without
its query count growing with the rows. A service still makes its status change a conditional update:
the check answers the common case with a clear message, the update settles a race.
"""

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from .errors import DomainError

T = TypeVar("T")
Check = Callable[[Any, T], None]


class Actions(Generic[T]):
    def __init__(self, checks: Mapping[str, Check[T]]):
        self.checks = dict(checks)

    def require(self, user: Any, obj: T, action: str) -> None:
        """Raise the check's DomainError when `user` may not do `action` with `obj` now."""
        self.checks[action](user, obj)

    def allowed(self, user: Any, obj: T) -> frozenset[str]:
        names = set()
        for name, check in self.checks.items():
            try:
                check(user, obj)
            except DomainError:
                continue
            names.add(name)
        return frozenset(names)
