"""Identity numbers, bank cards, phones and credit codes: validation, normalisation and masking.

Pure Python on purpose (no Django, no database): the roster reader calls these functions tens of
thousands of times per upload, and forms, the API and management commands share them.

- Resident ID numbers follow GB 11643-1999 (18 characters, MOD 11-2 check digit).
- Unified social credit codes follow GB 32100-2015 (18 characters, MOD 31 check character).
"""

from __future__ import annotations

import functools
from datetime import date
from operator import mul

__all__ = [
    "HALFWIDTH_TABLE",
    "PROVINCE_CODES",
    "age_on",
    "birth_date",
    "check_credit_code",
    "check_id_number",
    "id_check_digit",
    "is_valid_phone",
    "luhn_ok",
    "mask_card",
    "mask_id",
    "mask_phone",
    "normalise_credit_code",
    "normalise_id",
    "to_halfwidth",
]

# First two digits of GB/T 2260. The county part (digits 3-6) is deliberately NOT checked: counties are
# created, merged and abolished every year, and a number issued under an abolished code stays valid for
# life. 83 is the prefix of residence permits for Taiwan residents (港澳台居民居住证 use 81/82/83).
PROVINCE_CODES: frozenset[str] = frozenset(
    [str(n) for n in range(11, 16)]
    + [str(n) for n in range(21, 24)]
    + [str(n) for n in range(31, 38)]
    + [str(n) for n in range(41, 47)]
    + [str(n) for n in range(50, 55)]
    + [str(n) for n in range(61, 66)]
    + ["71", "81", "82", "83"]
)

# GB 11643 weights are 2^(18-i) mod 11 for positions i = 1..17. Because 13 = 2 (mod 11), the weighted
# sum is 2 * int(first17, 13) (mod 11): one C-level int() instead of a Python loop over 17 digits. The
# caller must have checked the 17 characters are ASCII digits (int() would also take a-c, signs, _).
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"  # index = weighted sum mod 11
_ID_LAST = frozenset("0123456789X")

# Full-width ASCII (U+FF01..U+FF5E) -> ASCII, ideographic space -> space. This is the part of NFKC that
# matters for typed numbers, without NFKC's other folds (① -> 1, ² -> 2) that would make junk look valid.
HALFWIDTH_TABLE: dict[int, int | None] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
HALFWIDTH_TABLE[0x3000] = 0x20
# Whitespace that shows up inside pasted numbers: NBSP, thin spaces, tabs, zero-width characters.
_ID_DROP: dict[int, int | None] = {
    ord(c): None for c in " \t\r\n\u00a0\u2002\u2003\u2009\u200b\u200c\u200d\u202f\ufeff"
}
# One pass of str.translate: full-width ｘ must go straight to X, not stop at x.
_ID_TABLE = {**HALFWIDTH_TABLE, **_ID_DROP, 0x3000: None, ord("x"): ord("X"), 0xFF58: ord("X")}


def to_halfwidth(s: str) -> str:
    """Full-width ASCII and the ideographic space to their half-width forms; nothing else changes."""
    # Most cells are already plain ASCII: skip the per-character table walk for them.
    return s if s.isascii() else s.translate(HALFWIDTH_TABLE)


def normalise_id(raw: str) -> str:
    """Trim, full-width -> half-width, drop inner spaces, lowercase x -> X ("X要大写" is noise, not an error)."""
    if raw.isascii() and raw.isalnum() and "x" not in raw:
        return raw  # the common case: already clean
    return raw.translate(_ID_TABLE).strip()


def id_check_digit(first17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits (caller guarantees 17 ASCII digits)."""
    return _ID_CHECK[sum(map(mul, _ID_WEIGHTS, map(int, first17))) % 11]  # plain form, kept as a cross-check


def check_id_number(s: str, *, today: date | None = None) -> str | None:
    """None when `s` is a valid 18-character resident ID number, else the reason key "invalid".

    `s` must already be normalised (see `normalise_id`). `today` exists for tests; birth dates after it
    are refused, as are years before 1900 (no living insured person, and it catches typos like 0990).
    """
    if len(s) != 18 or not s.isascii():
        return "invalid"
    body = s[:17]
    # isdigit() alone would accept other scripts' digits; isascii() above rules them out.
    if not body.isdigit() or s[17] not in _ID_LAST:
        return "invalid"
    if s[:2] not in PROVINCE_CODES:
        return "invalid"
    born = _birth_date_or_none(s[6:14])
    if born is None or born > (today or date.today()):
        return "invalid"
    if _ID_CHECK[2 * int(body, 13) % 11] != s[17]:
        return "invalid"
    return None


# A roster has at most ~46,000 distinct birth dates (1900 to today): caching the parse makes the date
# check a dict lookup. maxsize bounds the memory, since the 8 characters come from uploaded files.
@functools.lru_cache(maxsize=65_536)
def _birth_date_or_none(yyyymmdd: str) -> date | None:
    year = int(yyyymmdd[:4])
    if year < 1900:
        return None
    try:
        return date(year, int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:  # month 13, 30 February, ...
        return None


def birth_date(id_number: str) -> date:
    """Birth date encoded in digits 7-14; raises ValueError when they are not a date."""
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def age_on(id_number: str, day: date) -> int:
    """Completed years (周岁) on `day`. Someone born on 29 February turns a year older on 1 March in
    non-leap years, the usual reading of "has completed N years"."""
    born = birth_date(id_number)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _mask(s: str, head: int, tail: int) -> str:
    """Keep `head` and `tail` characters, star the rest; same length as `s`.

    Strings too short to hide anything with those widths show only a quarter at each end, so a mask
    never reveals the whole value."""
    n = len(s)
    if n <= head + tail:
        head = tail = n // 4
    return s[:head] + "*" * (n - head - tail) + (s[n - tail :] if tail else "")


def mask_id(s: str) -> str:
    """'320202199001010023' -> '3202**********0023' (first 4, last 4)."""
    return _mask(s, 4, 4)


def mask_phone(s: str) -> str:
    """'13812345678' -> '138****5678' (first 3, last 4)."""
    return _mask(s, 3, 4)


def mask_card(s: str) -> str:
    """'6228480402564890018' -> '6228 **** **** 0018'.

    Bank cards are shown in the fixed form the banks' own apps use, whatever their length (16-19), so
    the length is not revealed either. Numbers shorter than 12 keep their length instead."""
    s = s.replace(" ", "").replace("-", "")
    if len(s) >= 12:
        return f"{s[:4]} **** **** {s[-4:]}"
    return _mask(s, 4, 4)


# Luhn: the digit a doubled position contributes (2 * d, minus 9 when that has two digits), as bytes
# so that the whole sum runs in C: sum(bytes) - 48 * len turns ASCII codes back into digit values.
_LUHN_DOUBLE = bytes.maketrans(b"0123456789", b"0246813579")


def luhn_ok(digits: str) -> bool:
    """True when `digits` (ASCII digits only, at least 2) passes the Luhn (mod 10) check."""
    if len(digits) < 2 or not (digits.isascii() and digits.isdigit()):
        return False
    b = digits.encode("ascii")
    kept = b[-1::-2]  # check digit and every second digit to its left
    doubled = b[-2::-2].translate(_LUHN_DOUBLE)
    return (sum(kept) + sum(doubled) - 48 * len(b)) % 10 == 0


def is_valid_phone(s: str) -> bool:
    """Mainland mobile number: 1[3-9] followed by 9 digits."""
    return len(s) == 11 and s.isascii() and s.isdigit() and s[0] == "1" and s[1] in "3456789"


# GB 32100-2015: 31 characters (no I, O, S, V, Z), position weights 3^i mod 31.
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUE = {c: i for i, c in enumerate(_CREDIT_ALPHABET)}
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalise_credit_code(raw: str) -> str:
    """Trim, full-width -> half-width, drop inner spaces, upper-case."""
    return raw.translate(_ID_TABLE).strip().upper()


def credit_check_char(first17: str) -> str:
    """The 18th character GB 32100-2015 computes for the first 17 of a unified social credit code."""
    total = sum(map(mul, _CREDIT_WEIGHTS, (_CREDIT_VALUE[c] for c in first17)))
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def check_credit_code(code: str) -> tuple[bool, bool]:
    """(format_ok, check_digit_ok) for an 18-character unified social credit code.

    The two are separate because some early pilot codes fail the check character: the registration
    form shows that as a warning the user confirms, while a bad format is a hard error.
    """
    if len(code) != 18:
        return (False, False)
    try:
        values = [_CREDIT_VALUE[c] for c in code]
    except KeyError:
        return (False, False)
    check = 31 - sum(map(mul, _CREDIT_WEIGHTS, values)) % 31
    return (True, (0 if check == 31 else check) == values[17])
