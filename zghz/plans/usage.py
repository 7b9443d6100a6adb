"""Whether a plan year is in use, asked of the apps that use plan years.

Coverage and enrolment point at plan years, so they import plans; plans must not import them back.
Each of them registers its answer here from its AppConfig.ready() ("does anything of mine stand on
this plan year?"), and plans asks every registered app without knowing who they are. An app that
starts to point at plan years (claims, renewals) registers its own question the same way.
"""

from __future__ import annotations

from collections.abc import Callable

PlanYearUse = Callable[[int], bool]  # plan year id -> True when something stands on it

_uses: dict[str, PlanYearUse] = {}


def register_plan_year_use(app_label: str, check: PlanYearUse) -> None:
    """Register `app_label`'s question; registering again (ready() may run twice) replaces it."""
    _uses[app_label] = check


def plan_year_in_use(plan_year_id: int) -> bool:
    return any(check(plan_year_id) for check in _uses.values())
