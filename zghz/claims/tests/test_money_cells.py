"""Amount cells of settlement records: a number out of range is a bad amount, never an error."""

from decimal import Decimal

import pytest

from zghz.claims.settlement_rows import parse_money


@pytest.mark.parametrize(("value", "expected"), [
    (6.039386416129886e31, None), (-1.7976931348623155e308, None), ("1e40", None), (10**30, None),
    (1234.5, Decimal("1234.50")), ("1,234.50", Decimal("1234.50")), ("12.345", None),
])
def test_parse_money_answers_none_for_what_is_no_amount(value: object, expected: Decimal | None) -> None:
    assert parse_money(value) == expected
