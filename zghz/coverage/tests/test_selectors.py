from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from zghz.coverage.selectors import record_years

pytestmark = pytest.mark.django_db


def test_it_offers_next_year_on_new_years_eve() -> None:
    # Cover approved on 31 December starts on 1 January: the unit must be able to find it.
    with time_machine.travel(datetime(2026, 12, 31, 23, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        assert record_years()[:3] == [2027, 2026, 2025]
