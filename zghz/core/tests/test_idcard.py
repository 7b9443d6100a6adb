"""ID numbers, cards, phones and credit codes. Pure functions: no Django, no database."""

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from zghz.core.idcard import (
    PROVINCE_CODES,
    age_on,
    birth_date,
    check_credit_code,
    check_id_number,
    id_check_digit,
    is_valid_phone,
    luhn_ok,
    mask_card,
    mask_id,
    mask_phone,
    normalise_credit_code,
    normalise_id,
    to_halfwidth,
)

TODAY = date(2025, 6, 15)
ID_CHARS = "0123456789X"


def check_char(first17: str) -> str:
    """GB 11643 check character, written from the standard's definition (weights 2^(18-i) mod 11,
    check = (12 - sum mod 11) mod 11, 10 written X) so it does not share code with the module."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def make_id(prefix: str = "320202", born: date = date(1990, 1, 1), seq: str = "001") -> str:
    body = f"{prefix}{born:%Y%m%d}{seq}"
    return body + check_char(body)


def credit_check_char(first17: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    total = sum(alphabet.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return alphabet[(31 - total % 31) % 31]


# --- resident ID numbers -------------------------------------------------------------------------


def test_it_accepts_the_example_from_the_standard() -> None:
    assert check_id_number("11010519491231002X") is None
    assert check_id_number("110105194912310029") == "invalid"


def test_it_agrees_with_the_textbook_check_digit() -> None:
    for body in ("11010519491231002", "44052418800101001", "32020219900101001", "00000000000000000"):
        assert id_check_digit(body) == check_char(body)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "11010519491231002",  # 17 characters
        "11010519491231002XX",  # 19
        "11010519491231002x",  # lower-case x: the caller normalises first
        "1101051949123100X2",  # X not last
        "11010519491231 02X",
        "１１０１０５１９４９１２３１００２X",  # full-width digits are not ASCII digits
        "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X",  # Arabic-Indic digits pass str.isdigit()
    ],
)
def test_it_rejects_bad_shapes(value: str) -> None:
    assert check_id_number(value, today=TODAY) == "invalid"


def test_it_rejects_a_wrong_check_digit() -> None:
    good = make_id()
    for c in ID_CHARS.replace(good[-1], ""):
        assert check_id_number(good[:17] + c, today=TODAY) == "invalid"


@pytest.mark.parametrize(
    "born_digits",
    ["19900230", "19901301", "19900001", "19900100", "19010229", "18991231", "08000101"],
)
def test_it_rejects_birth_dates_that_do_not_exist_or_are_before_1900(born_digits: str) -> None:
    body = f"320202{born_digits}001"
    assert check_id_number(body + check_char(body), today=TODAY) == "invalid"


def test_it_accepts_29_february_of_a_leap_year_and_1_january_1900() -> None:
    assert check_id_number(make_id(born=date(2000, 2, 29)), today=TODAY) is None
    assert check_id_number(make_id(born=date(1900, 1, 1)), today=TODAY) is None


def test_it_rejects_birth_dates_in_the_future() -> None:
    assert check_id_number(make_id(born=TODAY), today=TODAY) is None
    assert check_id_number(make_id(born=TODAY + timedelta(days=1)), today=TODAY) == "invalid"


@pytest.mark.parametrize(
    "province",
    [
        "00",
        "10",
        "16",
        "20",
        "24",
        "30",
        "38",
        "40",
        "47",
        "55",
        "60",
        "66",
        "70",
        "72",
        "80",
        "84",
        "91",
        "99",
    ],
)
def test_it_rejects_province_codes_that_do_not_exist(province: str) -> None:
    assert check_id_number(make_id(prefix=province + "0101"), today=TODAY) == "invalid"


@pytest.mark.parametrize("province", sorted(PROVINCE_CODES))
def test_it_accepts_every_province_including_hong_kong_macao_taiwan(province: str) -> None:
    assert check_id_number(make_id(prefix=province + "0000"), today=TODAY) is None


def test_it_does_not_check_the_county_part() -> None:
    # 320202 崇安区 was abolished in 2015 and 320222 in 1995; 329999 never existed. People keep their numbers.
    for prefix in ("320202", "320222", "329999", "110000"):
        assert check_id_number(make_id(prefix=prefix), today=TODAY) is None


def test_it_has_exactly_the_province_codes_of_gb_t_2260() -> None:
    expected = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    expected |= {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
    assert {str(n) for n in expected} == PROVINCE_CODES


def test_it_reads_the_birth_date_and_counts_completed_years() -> None:
    id_number = make_id(born=date(1990, 6, 15))
    assert birth_date(id_number) == date(1990, 6, 15)
    assert age_on(id_number, date(2025, 6, 14)) == 34
    assert age_on(id_number, date(2025, 6, 15)) == 35
    assert age_on(id_number, date(2025, 6, 16)) == 35


def test_it_ages_leap_day_babies_on_1_march_in_ordinary_years() -> None:
    id_number = make_id(born=date(2000, 2, 29))
    assert age_on(id_number, date(2016, 2, 28)) == 15
    assert age_on(id_number, date(2016, 2, 29)) == 16
    assert age_on(id_number, date(2017, 2, 28)) == 16
    assert age_on(id_number, date(2018, 2, 28)) == 17
    assert age_on(id_number, date(2018, 3, 1)) == 18


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),
        ("  11010519491231002x\t", "11010519491231002X"),
        ("110105 19491231 002X", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"),
        ("\u3000110105\u300019491231002X\u3000", "11010519491231002X"),
        ("110105\u00a019491231002X\u200b", "11010519491231002X"),
        ("", ""),
    ],
)
def test_it_normalises_id_numbers(raw: str, expected: str) -> None:
    assert normalise_id(raw) == expected


def test_it_converts_full_width_ascii_only() -> None:
    assert to_halfwidth("ＡＢＣ１２３（）　张") == "ABC123() 张"
    assert to_halfwidth("①²") == "①²"  # NFKC would make these digits; they are not typing noise


# --- masking -------------------------------------------------------------------------------------


def test_it_masks_like_the_spec() -> None:
    assert mask_id("32020219900101002X") == "3202**********002X"
    assert mask_card("6228480402564894171") == "6228 **** **** 4171"
    assert mask_card("6228 4804 0256 4171") == "6228 **** **** 4171"
    assert mask_card("622848040256") == "6228 **** **** 0256"
    assert mask_card("62284804025") == "6228***4025"
    assert mask_phone("13812345678") == "138****5678"


def test_it_never_shows_a_short_value_whole() -> None:
    assert mask_id("") == ""
    assert mask_id("1234") == "1**4"
    assert mask_id("12345678") == "12****78"
    assert mask_phone("1234567") == "1*****7"
    assert mask_card("1234") == "1**4"
    assert mask_card("123") == "***"


@given(st.text(alphabet="0123456789X", min_size=0, max_size=30))
def test_it_keeps_length_and_the_visible_ends_when_masking_ids_and_phones(s: str) -> None:
    for fn, head, tail in ((mask_id, 4, 4), (mask_phone, 3, 4)):
        masked = fn(s)
        assert len(masked) == len(s)
        if len(s) > head + tail:
            assert masked[:head] == s[:head]
            assert masked[len(s) - tail :] == s[len(s) - tail :]
            assert set(masked[head : len(s) - tail]) == {"*"}
        else:
            assert masked.count("*") >= len(s) - 2 * (len(s) // 4)


@given(st.text(alphabet="0123456789", min_size=12, max_size=19))
def test_it_masks_cards_to_one_fixed_shape(card: str) -> None:
    assert mask_card(card) == f"{card[:4]} **** **** {card[-4:]}"


@given(st.text(alphabet="0123456789", min_size=0, max_size=11))
def test_it_keeps_the_length_of_short_card_numbers(card: str) -> None:
    masked = mask_card(card)
    assert len(masked) == len(card)
    if len(card) > 8:
        assert masked[:4] == card[:4] and masked[-4:] == card[-4:]


# --- property tests on ID numbers ----------------------------------------------------------------

provinces = st.sampled_from(sorted(PROVINCE_CODES))
counties = st.text(alphabet="0123456789", min_size=4, max_size=4)
births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
sequences = st.text(alphabet="0123456789", min_size=3, max_size=3)


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    return make_id(draw(provinces) + draw(counties), draw(births), draw(sequences))


@given(valid_ids())
def test_it_accepts_every_well_formed_id(id_number: str) -> None:
    assert check_id_number(id_number, today=TODAY) is None
    assert normalise_id(id_number.lower()) == id_number
    assert birth_date(id_number) <= TODAY


@given(valid_ids(), st.integers(min_value=0, max_value=17), st.characters())
def test_it_rejects_any_single_character_change(id_number: str, pos: int, c: str) -> None:
    # MOD 11-2 catches every single substitution: weights are never 0 mod 11 and 11 is prime, so a digit
    # change always moves the sum; any other character fails the format. Some changes are also caught
    # earlier (province, date), which the assertion does not care about.
    assume(c != id_number[pos])
    changed = id_number[:pos] + c + id_number[pos + 1 :]
    assert check_id_number(changed, today=TODAY) == "invalid"
    # ...and the reason, for digit changes, is check-digit consistency:
    if (c in "0123456789" and pos < 17) or (pos == 17 and c in ID_CHARS):
        assert check_char(changed[:17]) != changed[17]


@given(valid_ids(), st.integers(min_value=0, max_value=17))
def test_it_rejects_a_dropped_character(id_number: str, pos: int) -> None:
    assert check_id_number(id_number[:pos] + id_number[pos + 1 :], today=TODAY) == "invalid"


# --- cards, phones -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digits", "ok"),
    [
        ("79927398713", True),
        ("79927398710", False),
        ("4111111111111111", True),
        ("4111111111111112", False),
        ("6228480402564890018", True),
        ("00", True),
        ("0", False),
        ("", False),
        ("4111 1111 1111 1111", False),
        ("411111111111111a", False),
        ("٤١١١١١١١١١١١١١١١", False),
    ],
)
def test_it_checks_luhn(digits: str, ok: bool) -> None:
    assert luhn_ok(digits) is ok


@given(st.text(alphabet="0123456789", min_size=1, max_size=18))
def test_it_finds_exactly_one_luhn_check_digit(partial: str) -> None:
    assert sum(luhn_ok(partial + d) for d in "0123456789") == 1


@pytest.mark.parametrize(
    ("phone", "ok"),
    [
        ("13812345678", True),
        ("19912345678", True),
        ("16612345678", True),
        ("12812345678", False),
        ("10812345678", False),
        ("23812345678", False),
        ("1381234567", False),
        ("138123456789", False),
        ("138 1234 5678", False),
        ("１３８１２３４５６７８", False),
        ("", False),
    ],
)
def test_it_checks_mobile_numbers(phone: str, ok: bool) -> None:
    assert is_valid_phone(phone) is ok


# --- unified social credit codes -----------------------------------------------------------------


def test_it_accepts_a_real_credit_code() -> None:
    assert check_credit_code("91350100M000100Y43") == (True, True)


def test_it_tells_a_bad_check_character_from_a_bad_format() -> None:
    assert check_credit_code("91350100M000100Y44") == (True, False)
    assert check_credit_code("91350100M000100Y4") == (False, False)
    assert check_credit_code("91350100M000100Y433") == (False, False)
    assert check_credit_code("") == (False, False)
    for letter in "IOSVZ":  # not in the GB 32100 alphabet
        assert check_credit_code("91350100M000100" + letter + "43") == (False, False)
    assert check_credit_code("91350100m000100y43") == (False, False)  # the form upper-cases first


def test_it_normalises_credit_codes() -> None:
    assert normalise_credit_code(" ９１３５０１００ｍ000100y43 ") == "91350100M000100Y43"


def test_it_writes_a_check_value_of_31_as_zero() -> None:
    # Find a body whose sum is a multiple of 31: its check character must be "0", not out of range.
    for n in range(10_000):
        body = f"9132020{n:010d}"
        if credit_check_char(body) == "0":
            assert check_credit_code(body + "0") == (True, True)
            break
    else:
        pytest.fail("no body with check character 0 found")


@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=17, max_size=17))
def test_it_agrees_with_the_standard_on_every_credit_code(body: str) -> None:
    right = credit_check_char(body)
    assert check_credit_code(body + right) == (True, True)
    wrong = "0" if right != "0" else "1"
    assert check_credit_code(body + wrong) == (True, False)
