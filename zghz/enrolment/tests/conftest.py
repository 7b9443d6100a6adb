from typing import Any

import pytest

from zghz.plans.models import PlanYear

from .factories import make_plan_year


@pytest.fixture
def plan_year(db: Any) -> PlanYear:
    """三合一 for the current year with the SPEC defaults: 60 元, 12 months, 16-60, 90 days' waiting."""
    return make_plan_year()
