"""Realistic fake people and roster files for benchmarks and manual testing.

    python bench/gen_people.py OUT.xlsx N [--bad 0.01] [--seed 1] [--time]

Everything is synthetic: ID numbers have real county prefixes (including abolished ones such as
320202 崇安区, because real rosters carry them) and correct check digits, bank cards have plausible
BINs and Luhn check digits, phones use real mobile prefixes. The ID and Luhn arithmetic is written
here again on purpose rather than imported from zghz.core.idcard, so a bug there cannot hide itself.
With --time the file is then read and validated with zghz.enrolment.roster and the time printed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

# The roster layout comes from the application, whichever folder this runs from.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)


def _words(block: str) -> list[str]:
    """Long lists of codes read better as whitespace-separated blocks than as one quoted item per line."""
    return block.split()


# County prefixes: Wuxi first (most members), the rest of Jiangsu, then provinces migrant workers in
# Wuxi come from. Abolished codes are included on purpose: their holders' numbers remain valid.
WUXI = _words("""
    320202 320203 320204 320205 320206 320211 320213 320214 320281 320282 320222
""")  # 320202-4 (崇安/南长/北塘) were merged into 梁溪区 in 2015; 320222 was 锡山 before 1995
JIANGSU = _words("""
    320102 320104 320105 320106 320111 320113 320114 320115 320116 320117 320118 320302 320303
    320311 320321 320322 320324 320381 320382 320402 320404 320411 320412 320481 320505 320506
    320507 320508 320509 320581 320582 320583 320585 320602 320612 320623 320681 320682 320685
    320703 320722 320723 320724 320803 320804 320812 320826 320830 320831 320902 320903 320923
    320924 320925 320981 321002 321003 321023 321081 321084 321102 321111 321181 321182 321183
    321202 321281 321282 321283 321302 321311 321322 321323 321324
""")
ELSEWHERE = _words("""
    340102 341221 342221 341322 341881 342422 410526 411523 412726 411625 510122 511025 513030
    522121 362331 370283 372925 420116 430524 500228 612301 130182 230103 330104 350583 440301
    450103 530102 620102 650102
""")

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
COMPOUND_SURNAMES = ["欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "令狐"]
GIVEN_MALE = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林东峰建文志国晨阳海亮成浩然"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英桂兰玲萍红琳燕梅莉雪倩颖婷慧洁佳欣怡雯晶露悦琪瑶璐薇蕾蓉丹"
MINORITY_FIRST = _words("""
    阿依古丽 艾力 古丽娜尔 买买提 热依拉 迪丽娜尔 努尔兰 阿布都 帕提古丽 吐尔逊 米热古丽 阿不来提 再努尔 依明
""")
MINORITY_LAST = _words("""
    买买提 吐尔逊 艾买提 阿不都 阿不都热依木 哈力克 玉素甫 托合提 艾则孜 司马义 卡德尔 热合曼
""")

# (bank name as units write it, BIN prefix, card length). The BINs are plausible debit-card prefixes of
# these banks (6228 48 is ABC 金穗, 6217 CCB, 6214/6212 ICBC); exactness does not matter here.
BANKS = [
    ("无锡农村商业银行", "623138", 19),
    ("无锡农村商业银行", "621392", 19),
    ("中国农业银行", "622848", 19),
    ("农业银行无锡分行", "622848", 19),
    ("中国建设银行", "621700", 19),
    ("建设银行", "621799", 19),
    ("中国工商银行", "621226", 19),
    ("工商银行", "621459", 19),
    ("中国银行", "621661", 19),
    ("交通银行", "622262", 19),
    ("江苏银行", "621076", 16),
    ("中国邮政储蓄银行", "621098", 19),
    ("招商银行", "621483", 16),
    ("兴业银行", "622909", 18),
]
MOBILE_PREFIXES = _words("""
    130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 170 173 175 176
    177 178 180 181 182 183 184 185 186 187 188 189 191 193 195 196 197 198 199
""")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_char(first17: str) -> str:
    # Computed here independently of zghz.core.idcard, so generated data also checks the validator.
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def luhn_check_digit(partial: str) -> str:
    """The digit to append to `partial` so that the whole passes Luhn."""
    total = 0
    for i, c in enumerate(reversed(partial)):
        d = int(c)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def make_id(rng: random.Random, ref: date, *, min_age: int = 16, max_age: int = 60) -> str:
    """A valid ID of someone aged min_age..max_age (completed years) on `ref`."""
    # Born after ref minus (max_age + 1) years and no later than ref minus min_age years.
    earliest = _years_before(ref, max_age + 1) + timedelta(days=1)
    latest = _years_before(ref, min_age)
    born = earliest + timedelta(days=rng.randrange((latest - earliest).days + 1))
    roll = rng.random()
    county = rng.choice(WUXI if roll < 0.55 else JIANGSU if roll < 0.8 else ELSEWHERE)
    body = f"{county}{born:%Y%m%d}{rng.randrange(1, 1000):03d}"
    return body + id_check_char(body)


def _years_before(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


def make_name(rng: random.Random, male: bool) -> str:
    if rng.random() < 0.02:
        return f"{rng.choice(MINORITY_FIRST)}·{rng.choice(MINORITY_LAST)}"
    surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.005 else rng.choice(SURNAMES)
    pool = GIVEN_MALE if male else GIVEN_FEMALE
    given = "".join(rng.choice(pool) for _ in range(1 if rng.random() < 0.3 else 2))
    return surname + given


def make_card(rng: random.Random) -> tuple[str, str]:
    bank, bin_, length = rng.choice(BANKS)
    partial = bin_ + "".join(rng.choice("0123456789") for _ in range(length - len(bin_) - 1))
    return partial + luhn_check_digit(partial), bank


def make_phone(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"


def people(n: int, seed: int = 1, ref: date | None = None) -> Iterator[dict[str, str]]:
    """`n` people valid on `ref` (default today): name, id_number, card, bank, phone, remark."""
    rng = random.Random(seed)
    ref = ref or date.today()
    issued: set[str] = set()
    for _ in range(n):
        id_number = make_id(rng, ref)
        while id_number in issued:  # real people have distinct numbers; random ones collide now and then
            id_number = make_id(rng, ref)
        issued.add(id_number)
        card, bank = make_card(rng)
        yield {
            "name": make_name(rng, male=int(id_number[16]) % 2 == 1),
            "id_number": id_number,
            "card": card,
            "bank": bank,
            "phone": make_phone(rng),
            "remark": "",
        }


# The mistakes real rosters carry, and the reason code each should produce.
ERRORS = ("bad_check_digit", "missing_bank", "wrong_phone", "duplicate_id")
EXPECTED_REASON = {
    "bad_check_digit": "id_invalid",
    "missing_bank": "bank_missing",
    "wrong_phone": "phone_invalid",
    "duplicate_id": "duplicate_in_file",
}


def _spoil(rng: random.Random, p: dict[str, str], kind: str, earlier_ids: list[str]) -> None:
    if kind == "bad_check_digit":
        right = p["id_number"][17]
        p["id_number"] = p["id_number"][:17] + rng.choice([c for c in "0123456789X" if c != right])
    elif kind == "missing_bank":
        p["bank"] = ""
    elif kind == "wrong_phone":
        p["phone"] = rng.choice(
            [p["phone"][:10], p["phone"] + "8", "12" + p["phone"][2:], "0510-8" + p["phone"][4:11]]
        )
    elif kind == "duplicate_id":
        p["id_number"] = rng.choice(earlier_ids)


def write_roster(
    path: str | Path, n: int, bad_fraction: float = 0.0, seed: int = 1, ref: date | None = None
) -> dict[int, str]:
    """Write an n-person roster in the template layout; return {Excel row: expected reason code} for the
    rows spoilt on purpose (about bad_fraction of them)."""
    import xlsxwriter  # only the writer needs it

    from zghz.enrolment.template import HEADERS, INSTRUCTIONS, TITLE

    rng = random.Random(
        seed + 1
    )  # separate stream: the same seed gives the same people with or without errors
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet("参保花名册")
    text = wb.add_format({"num_format": "@"})
    ws.merge_range(0, 0, 0, 6, TITLE)
    ws.write_row(1, 0, INSTRUCTIONS)
    ws.write_row(2, 0, HEADERS)
    expected: dict[int, str] = {}
    earlier_ids: list[str] = []
    write = ws.write_string
    for i, p in enumerate(people(n, seed=seed, ref=ref)):
        excel_row = i + 4
        if earlier_ids and rng.random() < bad_fraction:
            kind = rng.choice(ERRORS)
            _spoil(rng, p, kind, earlier_ids)
            expected[excel_row] = EXPECTED_REASON[kind]
        elif len(earlier_ids) < 1000:
            earlier_ids.append(p["id_number"])  # only unspoilt IDs are copied as duplicates
        r = excel_row - 1
        write(r, 0, str(i + 1), text)
        write(r, 1, p["name"], text)
        write(r, 2, p["id_number"], text)
        write(r, 3, p["card"], text)
        write(r, 4, p["bank"], text)
        write(r, 5, p["phone"], text)
    wb.close()
    return expected


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", help="output .xlsx path")
    ap.add_argument("n", type=int, help="number of people")
    ap.add_argument("--bad", type=float, default=0.0, help="fraction of rows with a realistic mistake")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time", action="store_true", help="then time read_rows + validate_rows on the file")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    expected = write_roster(args.out, args.n, args.bad, args.seed)
    print(f"wrote {args.n} rows ({len(expected)} spoilt) to {args.out} in {time.perf_counter() - t0:.2f} s")
    if args.time:
        from zghz.enrolment.roster import read_rows, validate_rows

        # Best of 3 wall-clock runs; CPU time too, which a busy machine inflates much less.
        best = (float("inf"), 0.0, 0.0)
        for _ in range(3):
            t0, c0 = time.perf_counter(), time.process_time()
            sheet = read_rows(args.out, max_rows=max(args.n, 50_000))
            t_read = time.perf_counter() - t0
            rows = validate_rows(sheet, on_date=date.today())
            run = (time.perf_counter() - t0, t_read, time.process_time() - c0)
            best = min(best, run)
        total, t_read, cpu = best
        bad = {r.row: r.reasons for r in rows if r.reasons}
        missed = [row for row, code in expected.items() if code not in bad.get(row, [])]
        unexpected = sorted(set(bad) - set(expected))
        print(
            f"read {t_read:.3f} s + validate {total - t_read:.3f} s = {total:.3f} s wall, {cpu:.3f} s CPU "
            f"(best of 3); "
            f"{len(rows)} rows, {len(bad)} ineligible, {len(missed)} expected errors missed, "
            f"{len(unexpected)} unexpected"
        )
        return 1 if missed or unexpected else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
