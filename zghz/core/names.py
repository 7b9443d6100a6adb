"""Normalising what people type or paste as names and short texts, so that harmless noise (full-width
forms, zero-width characters, middle-dot look-alikes) never makes two spellings of one name differ. The
roster (SPEC §4), the settlement import and the member H5's registration compare names after this."""

import re

from .idcard import HALFWIDTH_TABLE

__all__ = ["CJK_RANGES", "DOT", "TEXT_TABLE", "normalise_name", "normalise_text"]

# Invisible characters that ride along with copy-paste from web pages and WeChat.
_ZERO_WIDTH = {ord(c): None for c in "\u200b\u200c\u200d\u2060\ufeff"}
TEXT_TABLE = {**HALFWIDTH_TABLE, **_ZERO_WIDTH}
# Middle-dot look-alikes people type between the parts of minority names (阿依古丽·买买提): ASCII and
# full-width full stops, bullets, katakana and Hangul dots, operator dots. Only replaced between two
# Chinese characters, so "张三." stays invalid instead of being silently "fixed".
DOT = "\u00b7"
_DOT_VARIANTS = frozenset(".\u2022\u30fb\u2027\u2219\u22c5\uff65\u318d\ufe52\u0387\u16eb\u2e31\u00b7")
CJK_RANGES = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CJK_CHAR = re.compile(f"[{CJK_RANGES}]")
# Characters normalise_text changes; searched first because most cells (Chinese names, bank names)
# have none and the search is cheaper than a translate.
_FOLD_RE = re.compile("[\uff01-\uff5e\u3000\u200b\u200c\u200d\u2060\ufeff]")
_DOT_VARIANT_RE = re.compile("[" + re.escape("".join(sorted(_DOT_VARIANTS - {DOT}))) + "]")


def normalise_text(s: str) -> str:
    """Trim, full-width -> half-width (ASCII range and ideographic space), drop zero-width characters."""
    if not s.isascii() and _FOLD_RE.search(s):
        s = s.translate(TEXT_TABLE)
    return s.strip()


def normalise_name(s: str) -> str:
    """normalise_text plus middle-dot variants -> U+00B7 when they sit between Chinese characters."""
    s = normalise_text(s)
    if s.isascii() or not _DOT_VARIANT_RE.search(s):
        return s
    chars = list(s)
    cjk = _CJK_CHAR.match
    for i in range(1, len(chars) - 1):
        if chars[i] in _DOT_VARIANTS and cjk(chars[i - 1]) and cjk(chars[i + 1]):
            chars[i] = DOT
    return "".join(chars)
