"""Roster reading, normalisation and validation (SPEC §4), and the template/export writer.

Pure Python: no Django, no database. Files are built in tmp_path with openpyxl (as Excel would save
them), as csv bytes, or as a minimal hand-made BIFF8 .xls.
"""

import io
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest

from zghz.core.idcard import id_check_digit
from zghz.enrolment.roster import (
    MAX_ROWS,
    REASONS,
    RosterError,
    RosterRow,
    read_rows,
    reason_text,
    validate_rows,
)
from zghz.enrolment.template import build_template_xlsx, write_roster_xlsx
from zghz.files.tests.helpers import make_xls

START = date(2025, 7, 1)  # coverage start: ages are counted on this day
TODAY = date(2025, 6, 20)
TITLE = "无锡市职工互助互济会“三合一”项目参保花名册"
NOTE = [
    "说明",
    "必填，姓名中不要出现空格",
    "必填，X要大写",
    "必填，填社保卡上银行卡号",
    "必填，例如无锡市农村商业银行",
    "必填",
]
HEADER = ["序号", "姓名", "居民身份证号(证件号码)", "社保卡银行卡号", "开户行", "手机号", "备注"]
CARD = "6228480402564890018"  # passes Luhn
CARD_16 = "4111111111111111"
PHONE = "13812345678"
BANK = "无锡农村商业银行"


def make_id(born: date = date(1990, 5, 20), prefix: str = "320213", seq: str = "123") -> str:
    body = f"{prefix}{born:%Y%m%d}{seq}"
    return body + id_check_digit(body)


ID1 = make_id()
ID2 = make_id(seq="456")
ID3 = make_id(date(1985, 1, 2), "320281", "778")


def person(
    name: str = "王小明",
    id_number: str = ID1,
    card: object = CARD,
    bank: str = BANK,
    phone: object = PHONE,
    remark: str = "",
) -> list[object]:
    return [name, id_number, card, bank, phone, remark]


def write_xlsx(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def template_rows(*people: list[object]) -> list[Sequence[object]]:
    """The manual's layout: title, 说明, header, then people numbered from 1."""
    return [[TITLE], NOTE, HEADER] + [[str(i), *p] for i, p in enumerate(people, start=1)]


def row(
    name: str = "王小明",
    id_number: str = ID1,
    card: str = CARD,
    bank: str = BANK,
    phone: str = PHONE,
    **kw: object,
) -> RosterRow:
    return RosterRow(4, name, id_number, card, bank, phone, **kw)  # type: ignore[arg-type]


def reasons_of(*rows: RosterRow, min_age: int = 16, max_age: int = 60) -> list[list[str]]:
    return [
        r.reasons
        for r in validate_rows(list(rows), min_age=min_age, max_age=max_age, on_date=START, today=TODAY)
    ]


# --- the reason table ----------------------------------------------------------------------------


def test_it_has_the_fifteen_reasons_of_the_spec_word_for_word() -> None:
    assert REASONS == {
        "name_missing": "请填写姓名",
        "name_invalid": "姓名中不能有空格或特殊字符",
        "id_missing": "请填写居民身份证号码",
        "id_invalid": "请填写正确居民身份证号码",
        "id_not_text": "身份证号被保存为数字，请将该列设为文本后重新填写",
        "age_out_of_range": "年龄不符合参保条件",
        "card_missing": "请填写社保卡银行卡号",
        "card_invalid": "请填写正确社保卡银行卡号",
        "bank_missing": "请填写开户行",
        "phone_missing": "请填写手机号",
        "phone_invalid": "请填写正确手机号",
        "duplicate_in_file": "花名册中身份证号重复",
        "template_example": "请删除或修改模板示例行",
        "already_insured": "该人员已参保，保障期内不可重复参保",
        "pending_elsewhere": "该人员已在其他参保申请中",
    }
    assert reason_text(["bank_missing", "phone_invalid"]) == "请填写开户行；请填写正确手机号"


# --- every reason code ---------------------------------------------------------------------------


def test_it_passes_a_clean_row() -> None:
    [r] = validate_rows([row()], on_date=START, today=TODAY)
    assert r.reasons == [] and r.warnings == [] and r.ok


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"name": ""}, ["name_missing"]),
        ({"name": "王 小明"}, ["name_invalid"]),
        ({"name": "王"}, ["name_invalid"]),  # one character
        ({"name": "王小明1"}, ["name_invalid"]),
        ({"name": "Wang Xiaoming"}, ["name_invalid"]),
        ({"name": "王小明."}, ["name_invalid"]),
        ({"name": "·王小明"}, ["name_invalid"]),
        ({"name": "阿依古丽··买买提"}, ["name_invalid"]),
        ({"name": "王" * 31}, ["name_invalid"]),
        ({"id_number": ""}, ["id_missing"]),
        ({"id_number": ID1[:17] + ("0" if ID1[17] != "0" else "1")}, ["id_invalid"]),
        ({"id_number": "3202021990"}, ["id_invalid"]),
        ({"id_number": make_id(date(2015, 1, 1))}, ["age_out_of_range"]),  # 10 years old
        ({"card": ""}, ["card_missing"]),
        ({"card": "62284804025"}, ["card_invalid"]),  # 11 digits
        ({"card": "62284804025648900181"}, ["card_invalid"]),  # 20
        ({"card": "6228480402564890O18"}, ["card_invalid"]),  # letter O
        ({"bank": ""}, ["bank_missing"]),
        ({"phone": ""}, ["phone_missing"]),
        ({"phone": "1381234567"}, ["phone_invalid"]),
        ({"phone": "12812345678"}, ["phone_invalid"]),
        ({"phone": "0510-85123456"}, ["phone_invalid"]),
    ],
)
def test_it_gives_each_mistake_its_reason(fields: dict[str, str], expected: list[str]) -> None:
    assert reasons_of(row(**fields)) == [expected]


def test_it_accepts_minority_names_and_rare_characters() -> None:
    assert reasons_of(
        row(name="阿依古丽·买买提"), row(name="欧阳娜娜", id_number=ID2), row(name="王𠈌", id_number=ID3)
    ) == [[], [], []]


def test_it_flags_an_id_that_excel_stored_as_a_number() -> None:
    # Even digits that happen to be right: once stored as a number they cannot be trusted.
    assert reasons_of(row(id_was_number=True)) == [["id_not_text"]]
    assert reasons_of(row(card_was_number=True)) == [["card_invalid"]]


def test_it_lists_every_reason_of_a_row_in_the_spec_order() -> None:
    [r] = validate_rows([row(name="", id_number="", card="", bank="", phone="")], on_date=START, today=TODAY)
    assert r.reasons == ["name_missing", "id_missing", "card_missing", "bank_missing", "phone_missing"]
    [r] = validate_rows(
        [row(name="张 三", id_number="123", card="12", phone="1")], on_date=START, today=TODAY
    )
    assert r.reasons == ["name_invalid", "id_invalid", "card_invalid", "phone_invalid"]


def test_it_warns_but_does_not_refuse_a_card_failing_luhn() -> None:
    [r] = validate_rows([row(card="6228480402564890017")], on_date=START, today=TODAY)
    assert r.reasons == [] and r.warnings == ["card_luhn"]


def test_it_accepts_cards_of_12_to_19_digits() -> None:
    assert reasons_of(row(card="622848040256"), row(card="6228480402564890018", id_number=ID2)) == [[], []]


@pytest.mark.parametrize(
    ("born", "ok"),
    [
        (date(2009, 7, 1), True),  # 16 on the start day
        (date(2009, 7, 2), False),  # 16 the day after
        (date(1964, 7, 2), True),  # 60, a day short of 61
        (date(1964, 7, 1), False),  # 61 on the start day
    ],
)
def test_it_counts_age_on_the_coverage_start_with_inclusive_bounds(born: date, ok: bool) -> None:
    assert reasons_of(row(id_number=make_id(born))) == [[] if ok else ["age_out_of_range"]]


def test_it_uses_the_plan_age_limits() -> None:
    id_number = make_id(date(1960, 1, 1))  # 65
    assert reasons_of(row(id_number=id_number)) == [["age_out_of_range"]]
    assert reasons_of(row(id_number=id_number), max_age=70) == [[]]
    assert reasons_of(row(id_number=make_id(date(2000, 1, 1))), min_age=30) == [["age_out_of_range"]]


def test_it_refuses_birth_dates_after_today() -> None:
    assert reasons_of(row(id_number=make_id(TODAY + timedelta(days=1))), min_age=0) == [["id_invalid"]]


def test_it_marks_the_second_and_later_occurrences_of_an_id() -> None:
    rows = [RosterRow(n, "王小明", i, CARD, BANK, PHONE) for n, i in ((4, ID1), (5, ID2), (7, ID1), (9, ID1))]
    validate_rows(rows, on_date=START, today=TODAY)
    assert [r.reasons for r in rows] == [[], [], ["duplicate_in_file"], ["duplicate_in_file"]]
    assert [r.duplicate_of for r in rows] == [None, None, 4, 4]


def test_it_does_not_match_duplicates_on_digits_excel_destroyed() -> None:
    rows = [
        RosterRow(4, "王小明", "320213199005201000", CARD, BANK, PHONE, id_was_number=True),
        RosterRow(5, "李小红", "320213199005201000", CARD, BANK, PHONE, id_was_number=True),
    ]
    assert [r.reasons for r in validate_rows(rows, on_date=START, today=TODAY)] == [["id_not_text"]] * 2


def test_it_catches_the_template_example_row() -> None:
    assert reasons_of(row(name="张三", id_number="3202*****002X", card="", bank="", phone="")) == [
        ["id_invalid", "card_missing", "bank_missing", "phone_missing", "template_example"]
    ]
    assert reasons_of(row(name="张三", id_number="3202**********002X")) == [
        ["id_invalid", "template_example"]
    ]
    # A real 张三 is a real person.
    assert reasons_of(row(name="张三", id_number=make_id(prefix="320202"))) == [[]]


def test_it_is_idempotent() -> None:
    rows = [row(phone="1"), RosterRow(5, "王小明", ID1, CARD, BANK, PHONE)]
    validate_rows(rows, on_date=START, today=TODAY)
    validate_rows(rows, on_date=START, today=TODAY)
    assert [r.reasons for r in rows] == [["phone_invalid"], ["duplicate_in_file"]]


def test_it_checks_a_single_person_from_the_form() -> None:
    [r] = validate_rows([RosterRow(0, "李四", ID2, CARD, BANK, "13912345678")], on_date=START)
    assert r.ok


# --- reading xlsx --------------------------------------------------------------------------------


def test_it_reads_the_template_layout_with_excel_row_numbers(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", template_rows(person(), person(name="李小红", id_number=ID2)))
    sheet = read_rows(path, "r.xlsx")
    assert sheet.header_row == 3 and sheet.file_format == "xlsx"
    assert [(r.row, r.name, r.id_number, r.card, r.bank, r.phone) for r in sheet.rows] == [
        (4, "王小明", ID1, CARD, BANK, PHONE),
        (5, "李小红", ID2, CARD, BANK, PHONE),
    ]
    assert all(r.ok for r in validate_rows(sheet, on_date=START, today=TODAY))


def test_it_accepts_a_path_bytes_or_a_file_object(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", template_rows(person()))
    data = path.read_bytes()
    for source in (path, str(path), data, io.BytesIO(data)):
        assert [r.id_number for r in read_rows(source, "r.xlsx").rows] == [ID1]


def test_it_finds_the_header_when_the_title_rows_are_deleted(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", [HEADER, ["1", *person()]])
    sheet = read_rows(path, "r.xlsx")
    assert sheet.header_row == 1 and [r.row for r in sheet.rows] == [2]


def test_it_finds_the_header_below_extra_rows_and_ignores_extra_columns(tmp_path: Path) -> None:
    rows: list[Sequence[object]] = [[TITLE], ["单位：某某公司"], [], NOTE, [], []]
    rows.append(["部门", "手机号", "开户行", "备注", "身份证号", "工号", "社保卡银行卡号", "姓名"])
    rows.append(["财务部", PHONE, BANK, "新员工", ID1, "A001", CARD, "王小明"])
    sheet = read_rows(write_xlsx(tmp_path / "r.xlsx", rows), "r.xlsx")
    assert sheet.header_row == 7
    [r] = sheet.rows
    assert (r.row, r.name, r.id_number, r.card, r.bank, r.phone, r.remark) == (
        8,
        "王小明",
        ID1,
        CARD,
        BANK,
        PHONE,
        "新员工",
    )


@pytest.mark.parametrize(
    "id_header",
    [
        "居民身份证号(证件号码)",
        "居民身份证号（证件号码）",
        "居民身份证号 (证件号码)",
        "居民身份证号",
        "身份证号",
        "身份证号码",
        " 居民身份证号\n(证件号码) ",
    ],
)
def test_it_recognises_id_column_spellings(tmp_path: Path, id_header: str) -> None:
    header = ["序号", "姓名", id_header, "社保卡银行卡号", "开户行", "手机号", "备注"]
    sheet = read_rows(write_xlsx(tmp_path / "r.xlsx", [header, ["1", *person()]]), "r.xlsx")
    assert sheet.columns["id_number"] == 2 and sheet.rows[0].id_number == ID1


def test_it_names_the_missing_column(tmp_path: Path) -> None:
    header = ["序号", "姓名", "居民身份证号(证件号码)", "开户行", "手机号", "备注"]
    with pytest.raises(RosterError) as exc:
        read_rows(
            write_xlsx(tmp_path / "r.xlsx", [[TITLE], header, ["1", "王小明", ID1, BANK, PHONE]]), "r.xlsx"
        )
    assert exc.value.message == "未找到表头：缺少“社保卡银行卡号”列，请使用模板下载的花名册"
    assert exc.value.code == "no_header" and isinstance(exc.value, ValueError)


def test_it_names_several_missing_columns(tmp_path: Path) -> None:
    with pytest.raises(RosterError) as exc:
        read_rows(
            write_xlsx(tmp_path / "r.xlsx", [["姓名", "身份证号", "开户行"], ["王小明", ID1, BANK]]), "r.xlsx"
        )
    assert exc.value.message == "未找到表头：缺少“社保卡银行卡号”、“手机号”列，请使用模板下载的花名册"


def test_it_only_looks_for_the_header_in_the_first_20_rows(tmp_path: Path) -> None:
    rows: list[Sequence[object]] = [[f"第{i}行"] for i in range(20)] + [HEADER, ["1", *person()]]
    with pytest.raises(RosterError) as exc:
        read_rows(write_xlsx(tmp_path / "r.xlsx", rows), "r.xlsx")
    assert exc.value.code == "no_header"
    assert "缺少“姓名”、“居民身份证号(证件号码)”" in exc.value.message
    rows = [[f"第{i}行"] for i in range(19)] + [HEADER, ["1", *person()]]
    assert read_rows(write_xlsx(tmp_path / "r2.xlsx", rows), "r.xlsx").header_row == 20


def test_it_skips_blank_rows_and_keeps_row_numbers(tmp_path: Path) -> None:
    rows = template_rows(person())
    rows += [[], ["", "  ", "\u3000", "", None, ""], ["3"], [None, *person(name="李小红", id_number=ID2)]]
    sheet = read_rows(write_xlsx(tmp_path / "r.xlsx", rows), "r.xlsx")
    assert [(r.row, r.name) for r in sheet.rows] == [(4, "王小明"), (8, "李小红")]


def test_it_skips_the_note_row_when_it_is_below_the_header(tmp_path: Path) -> None:
    rows: list[Sequence[object]] = [HEADER, NOTE, ["1", *person()]]
    assert [r.row for r in read_rows(write_xlsx(tmp_path / "r.xlsx", rows), "r.xlsx").rows] == [3]
    # ...also when the 序号 column was deleted and the note starts with the name hint.
    rows = [HEADER[1:], NOTE[1:], person()]
    assert [r.row for r in read_rows(write_xlsx(tmp_path / "r2.xlsx", rows), "r.xlsx").rows] == [3]


def test_it_flags_numeric_id_and_card_cells_from_a_real_xlsx(tmp_path: Path) -> None:
    rows = template_rows(
        person(id_number=int(ID1)),  # type: ignore[arg-type]  # ID1 ends in a digit
        person(name="李小红", id_number=ID2, card=int(CARD)),
        person(name="赵大勇", id_number=ID3, phone=int(PHONE)),  # a numeric phone is harmless
    )
    sheet = read_rows(write_xlsx(tmp_path / "r.xlsx", rows), "r.xlsx")
    validate_rows(sheet, on_date=START, today=TODAY)
    assert [r.reasons for r in sheet.rows] == [["id_not_text"], ["card_invalid"], []]
    assert sheet.rows[0].id_was_number and sheet.rows[1].card_was_number
    assert sheet.rows[2].phone == PHONE
    # What Excel kept: 15 significant digits, the rest gone.
    assert sheet.rows[0].id_number[:15] == ID1[:15] and len(sheet.rows[0].id_number) == 18


def test_it_reads_the_first_sheet_that_has_the_header(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["填表说明：请在第二个工作表填写"])
    ws = wb.create_sheet("花名册")
    for r in template_rows(person()):
        ws.append(r)
    wb.save(tmp_path / "r.xlsx")
    sheet = read_rows(tmp_path / "r.xlsx", "r.xlsx")
    assert sheet.sheet_name == "花名册" and [r.row for r in sheet.rows] == [4]


# --- normalisation -------------------------------------------------------------------------------


def test_it_normalises_harmless_noise(tmp_path: Path) -> None:
    rows = template_rows(
        [
            " 王小明\u3000",
            " 320213 19900520 123" + ID1[-1].lower() + " ",
            "6228 4804 0256 4890 018",
            " 无锡农村商业银行 ",
            "138-1234-5678",
            " 备注 ",
        ],
        [
            "李小红",
            "３２０２１３１９９０" + "０５２０４５６"[:7] + ID2[-1],
            "6228-4804-0256-4890-018",
            "ＩＣＢＣ",
            "+86 139 1234 5678",
            "",
        ],
        ["阿依古丽.买买提", ID3, "６２２８４８０４０２５６４８９００１８", BANK, "0086 13712345678", ""],
    )
    sheet = read_rows(write_xlsx(tmp_path / "r.xlsx", rows), "r.xlsx")
    first, second, third = sheet.rows
    assert (first.name, first.id_number, first.card, first.bank, first.phone, first.remark) == (
        "王小明",
        ID1,
        CARD,
        "无锡农村商业银行",
        PHONE,
        "备注",
    )
    assert (second.id_number, second.card, second.bank, second.phone) == (ID2, CARD, "ICBC", "13912345678")
    assert (third.name, third.card, third.phone) == ("阿依古丽·买买提", CARD, "13712345678")
    assert all(r.ok for r in validate_rows(sheet, on_date=START, today=TODAY))


@pytest.mark.parametrize("dot", [".", "•", "・", "‧", "∙", "·", "．", "･", "⋅"])
def test_it_unifies_middle_dots_between_chinese_characters(tmp_path: Path, dot: str) -> None:
    sheet = read_rows(
        write_xlsx(tmp_path / "r.xlsx", template_rows(person(name=f"买买提{dot}艾力"))), "r.xlsx"
    )
    assert sheet.rows[0].name == "买买提\u00b7艾力"
    assert validate_rows(sheet, on_date=START, today=TODAY)[0].ok


def test_it_leaves_dots_that_are_not_between_chinese_characters(tmp_path: Path) -> None:
    rows = template_rows(person(name="王小明."), person(name="A.王", id_number=ID2))
    sheet = read_rows(write_xlsx(tmp_path / "r.xlsx", rows), "r.xlsx")
    assert [r.name for r in sheet.rows] == ["王小明.", "A.王"]
    assert [r.reasons for r in validate_rows(sheet, on_date=START, today=TODAY)] == [["name_invalid"]] * 2


def test_it_keeps_inner_spaces_in_names_as_a_mistake(tmp_path: Path) -> None:
    sheet = read_rows(write_xlsx(tmp_path / "r.xlsx", template_rows(person(name="王\u3000小明"))), "r.xlsx")
    assert sheet.rows[0].name == "王 小明"
    assert validate_rows(sheet, on_date=START, today=TODAY)[0].reasons == ["name_invalid"]


# --- csv -----------------------------------------------------------------------------------------


def csv_bytes(rows: list[list[str]], encoding: str, delimiter: str = ",") -> bytes:
    text = "\r\n".join(delimiter.join(r) for r in rows) + "\r\n"
    return text.encode(encoding)


def test_it_flags_the_scientific_notation_excel_writes_to_csv() -> None:
    rows = [HEADER, ["1", "王小明", "3.20213E+17", "6.22848E+18", BANK, PHONE, ""]]
    sheet = read_rows(csv_bytes(rows, "gbk"), "r.csv")
    assert sheet.rows[0].id_was_number and sheet.rows[0].card_was_number
    assert validate_rows(sheet, on_date=START, today=TODAY)[0].reasons == ["id_not_text", "card_invalid"]


def test_it_reads_xls_and_flags_numeric_cells_there_too() -> None:
    rows = template_rows(person(), person(name="李小红", id_number=int(ID2[:17]) * 10, card=int(CARD)))  # type: ignore[arg-type]
    sheet = read_rows(make_xls(rows), "花名册.xls")
    assert sheet.file_format == "xls" and sheet.header_row == 3
    validate_rows(sheet, on_date=START, today=TODAY)
    assert [(r.row, r.reasons) for r in sheet.rows] == [(4, []), (5, ["id_not_text", "card_invalid"])]


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", b",,,\r\n , ,\r\n", "\ufeff".encode()])
def test_it_says_there_is_no_data_in_an_empty_csv(data: bytes) -> None:
    with pytest.raises(RosterError) as exc:
        read_rows(data, "r.csv")
    assert exc.value.message == "花名册中没有人员数据" and exc.value.code == "no_data"


def test_it_says_there_is_no_data_in_an_empty_workbook(tmp_path: Path) -> None:
    openpyxl.Workbook().save(tmp_path / "empty.xlsx")
    for rows in ([[TITLE], NOTE, HEADER], [*template_rows(), [], ["", "", ""]]):
        write_xlsx(tmp_path / "header-only.xlsx", rows)
        for name in ("empty.xlsx", "header-only.xlsx"):
            with pytest.raises(RosterError) as exc:
                read_rows(tmp_path / name, name)
            assert exc.value.message == "花名册中没有人员数据"


def test_it_limits_the_number_of_rows() -> None:
    assert MAX_ROWS == 50_000
    people = [
        ["1", f"王{'一二三四五六七'[i]}明", make_id(seq=f"{i:03d}"), CARD, BANK, PHONE, ""] for i in range(6)
    ]
    data = csv_bytes([HEADER, *people, [], []], "utf-8")
    assert len(read_rows(data, "r.csv", max_rows=6).rows) == 6
    with pytest.raises(RosterError) as exc:
        read_rows(data, "r.csv", max_rows=5)
    assert exc.value.message == "花名册最多 5 行，当前 6 行，请拆分后分批上传"
    assert exc.value.code == "too_many_rows"


def test_it_builds_the_template_of_the_manual() -> None:
    ws = openpyxl.load_workbook(io.BytesIO(build_template_xlsx())).active
    values = [list(r) for r in ws.iter_rows(min_row=1, max_row=4, max_col=7, values_only=True)]
    assert values[0][0] == TITLE
    assert [str(c.coord) for c in ws.merged_cells.ranges] == ["A1:G1"]
    assert values[1] == [*NOTE, None] or values[1] == [*NOTE, ""]
    assert values[2] == HEADER
    assert values[3][:3] == [1, "张三", "3202*****002X"]
    # 序号 runs 1…n as in the manual's picture, and stops where the numbered rows end.
    assert [ws[f"A{r}"].value for r in (5, 6, 1003)] == [2, 3, 1000]
    assert ws["A1004"].value is None
    for col in "CDF":
        for r in (4, 5, 50003):
            assert ws[f"{col}{r}"].number_format == "@", f"{col}{r}"


def test_it_catches_the_template_uploaded_unchanged() -> None:
    sheet = read_rows(build_template_xlsx(), "参保花名册.xlsx")
    assert sheet.header_row == 3
    [r] = validate_rows(sheet, on_date=START, today=TODAY)
    assert r.row == 4 and "template_example" in r.reasons


def test_it_exports_rows_with_reasons_that_read_back_the_same() -> None:
    rows = validate_rows(
        [
            RosterRow(4, "王小明", ID1, CARD, BANK, PHONE, "老员工"),
            RosterRow(5, "李小红", ID2, CARD, "", "1", ""),
        ],
        on_date=START,
        today=TODAY,
    )
    data = write_roster_xlsx(rows, "不可参保原因")
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [c.value for c in ws[3]] == [*HEADER, "不可参保原因"]
    assert [c.value for c in ws[5]] == [
        "2",
        "李小红",
        ID2,
        CARD,
        "",
        "1",
        "",
        "请填写开户行；请填写正确手机号",
    ]
    assert all(c.data_type == "s" for c in ws[4])  # every cell a string, IDs included
    again = read_rows(data, "export.xlsx")
    assert [(r.row, r.name, r.id_number, r.remark) for r in again.rows] == [
        (4, "王小明", ID1, "老员工"),
        (5, "李小红", ID2, ""),
    ]


@pytest.mark.parametrize(
    "value", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x","y")']
)
def test_it_never_exports_a_formula(value: str) -> None:
    data = write_roster_xlsx([(value, value, value, value, value, value, value)], "不可参保原因")
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = ws[4][1:]
    # OOXML escapes CR as _x000D_ (Excel decodes it; openpyxl leaves it for inline strings).
    assert all(c.data_type == "s" and c.value.replace("_x000D_", "\r") == value for c in cells)
    assert all(c.quotePrefix for c in cells)
    # The raw XML has no <f> formula element at all.
    import zipfile

    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml


def test_it_exports_without_an_extra_column() -> None:
    ws = openpyxl.load_workbook(
        io.BytesIO(write_roster_xlsx([("王小明", ID1, CARD, BANK, PHONE, None)]))
    ).active
    assert [c.value for c in ws[3]] == HEADER
    assert [c.value for c in ws[4]] == ["1", "王小明", ID1, CARD, BANK, PHONE, ""]
