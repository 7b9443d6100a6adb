"""Reading the bank's 回盘 file and comparing it with its 支付批次 (SPEC §6.4). Pure: no database.

A 回盘 is a spreadsheet (xlsx or csv) with one row per payment: at least 摘要 (the claim number the
batch file carried), 金额 and the result (成功 / 失败), usually also 户名, 银行卡号 and the bank's reason
for a failure. Header names vary by bank, so each column is known by several names. A closing 合计 row
is allowed; when present, its 笔数 and 金额 must agree too.

`read_return` (through the shared reader `zghz.files.sheets`) never raises on a bad row: every row it
cannot use is reported with its Excel row number and what is wrong. `compare` lists every way the file disagrees with the batch. The service applies a
回盘 only when both lists are empty, so a wrong file marks nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zghz.files.sheets import Messages, Row, SheetError, cell_text, read_table

CENT = Decimal("0.01")

SUCCESS, FAILED = "success", "failed"

# Failure codes kept beside the bank's own text.
FAILURE_CODES = {
    "name_mismatch": gettext_lazy("户名不符"),
    "account_invalid": gettext_lazy("账号无效"),
    "account_closed": gettext_lazy("账户已销户"),
    "other": gettext_lazy("其他"),
}
# Phrases the banks use, checked in this order (the first that occurs in the reason decides).
_REASON_PATTERNS: list[tuple[str, tuple[str, ...]]] = [
    ("name_mismatch", ("户名不符", "户名不一致", "户名错误", "姓名不符", "姓名不一致", "账户名不符", "账户名称不符",
                       "收款人名称不符", "户名与账号不符")),
    ("account_closed", ("销户", "注销", "已关闭", "账户关闭", "卡已作废", "已挂失", "睡眠户", "久悬")),
    ("account_invalid", ("账号不存在", "账户不存在", "卡号不存在", "无此账号", "无此账户", "无此卡号", "账号错误",
                         "账号有误", "卡号错误", "卡号有误", "账号无效", "无效账号", "无效卡号", "账户无效", "账号格式",
                         "卡号格式")),
]


def failure_code(reason: str) -> str:
    """The code for a bank's failure text; `other` when no known phrase occurs in it."""
    text = "".join((reason or "").split())
    for code, phrases in _REASON_PATTERNS:
        if any(p in text for p in phrases):
            return code
    return "other"


# column key -> header names (compared without spaces, * and a bracketed note: "金额（元）" → "金额")
_HEADERS: dict[str, tuple[str, ...]] = {
    "summary": ("摘要", "用途", "附言", "理赔编号", "交易摘要", "摘要信息"),
    "name": ("户名", "收款人户名", "收款人", "收款人名称", "账户名称", "收款户名", "姓名"),
    "card": ("银行卡号", "账号", "卡号", "收款账号", "收款人账号", "收款卡号", "账户"),
    "amount": ("金额", "交易金额", "付款金额", "支付金额", "实付金额"),
    "result": ("交易结果", "处理结果", "交易状态", "状态", "结果", "处理状态", "回盘结果"),
    "reason": ("失败原因", "原因", "银行返回信息", "返回信息", "错误信息", "备注", "说明", "失败说明"),
}
REQUIRED = ("summary", "amount", "result")
COLUMN_LABELS = {"summary": gettext_lazy("摘要"), "name": gettext_lazy("户名"), "card": gettext_lazy("银行卡号"),
                 "amount": gettext_lazy("金额"), "result": gettext_lazy("交易结果"), "reason": gettext_lazy("失败原因")}
_TOTAL_WORDS = ("合计", "总计", "汇总", "总笔数", "总金额")
_COUNT = re.compile(r"(\d+)\s*笔")


@dataclass
class ReturnRow:
    row: int  # Excel row number
    summary: str
    name: str
    card: str
    amount: Decimal
    result: str  # SUCCESS / FAILED
    reason: str  # the bank's text, as written
    code: str  # failure code ("" for 成功)


@dataclass
class ReturnFile:
    rows: list[ReturnRow] = field(default_factory=list)
    bad_rows: list[tuple[int, str]] = field(default_factory=list)  # (Excel row, what is wrong)
    total_count: int | None = None  # from a 合计 row, when the file has one
    total_amount: Decimal | None = None
    error: str = ""  # the file as a whole cannot be used (no header, no rows)

    @property
    def ok(self) -> bool:
        return not self.error and not self.bad_rows


def _text(v: object) -> str:
    return cell_text(v).strip()


def _amount(v: object) -> Decimal | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        d = Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
    else:
        s = _text(v).replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").replace("元", "")
        if not s:
            return None
        try:
            d = Decimal(s)
        except InvalidOperation:
            return None
    if not d.is_finite() or d < 0 or d != d.quantize(CENT):
        return None
    return d.quantize(CENT)


def _result(v: object) -> str | None:
    s = "".join(_text(v).split()).upper()
    if s in ("成功", "交易成功", "处理成功", "支付成功", "已成功", "S", "SUCCESS", "0000"):
        return SUCCESS
    if s in ("失败", "交易失败", "处理失败", "支付失败", "退回", "已退回", "F", "FAIL", "FAILED"):
        return FAILED
    if "失败" in s:
        return FAILED
    if "成功" in s:
        return SUCCESS
    return None


def _totals(row: Row, parsed: ReturnFile) -> bool:
    """A 合计 row: remembers its 笔数 and 金额 and returns True; False when the row is not one."""
    texts = [_text(v) for v in row.cells]
    if not any(t.startswith(_TOTAL_WORDS) for t in texts):
        return False
    summary = row.text("summary")
    if summary and not summary.startswith(_TOTAL_WORDS):
        return False
    for i, t in enumerate(texts):
        m = _COUNT.search(t)
        if m:
            parsed.total_count = int(m.group(1))
        elif t.startswith("总笔数") and i + 1 < len(texts) and texts[i + 1].isdigit():
            parsed.total_count = int(texts[i + 1])
        elif t.startswith("总笔数") and t[3:].strip("：: ").isdigit():
            parsed.total_count = int(t[3:].strip("：: "))
    amount = _amount(row["amount"])
    if amount is not None:
        parsed.total_amount = amount
    return True


MESSAGES = Messages(unreadable=gettext_lazy("回盘文件无法读取，请上传银行提供的 xlsx 或 csv 文件"),
                    no_data=gettext_lazy("回盘文件中没有数据行"),
                    no_header=gettext_lazy("未找到回盘表头：缺少{names}列"),
                    too_many_rows=gettext_lazy("回盘文件最多 {max_rows} 行，当前 {count} 行"))
MAX_ROWS = 200_000


def read_return(data: bytes, filename: str) -> ReturnFile:
    """The rows of a 回盘 file (xlsx, xls or csv, through `zghz.files.sheets`), every unusable row reported
    with its Excel row number; a file that cannot be used at all comes back with `error` set."""
    try:
        table = read_table(data, filename, expected_headers=_HEADERS, required_headers=REQUIRED,
                           labels=COLUMN_LABELS, max_rows=MAX_ROWS, messages=MESSAGES)
    except SheetError as e:
        return ReturnFile(error=e.message)
    return parse_rows(table.rows)


def parse_rows(rows: Iterable[Row]) -> ReturnFile:
    parsed = ReturnFile()
    seen: dict[str, int] = {}
    for row in rows:
        if _totals(row, parsed):
            continue
        problems = []
        summary = row.text("summary").upper()
        if not summary:
            problems.append(_("缺少摘要"))
        amount = _amount(row["amount"])
        if amount is None:
            problems.append(_("金额格式不正确：{value}").format(value=row.text("amount") or _("（空）")))
        result = _result(row["result"])
        if result is None:
            problems.append(_("无法识别的交易结果：{value}").format(value=row.text("result") or _("（空）")))
        if summary and summary in seen:
            problems.append(_("摘要 {summary} 与第 {row} 行重复").format(summary=summary, row=seen[summary]))
        if problems or amount is None or result is None:
            parsed.bad_rows.append((row.number, "；".join(problems)))
            continue
        seen[summary] = row.number
        reason = row.text("reason")
        parsed.rows.append(ReturnRow(
            row=row.number, summary=summary, name="".join(row.text("name").split()),
            card=re.sub(r"[\s-]", "", row.text("card")), amount=amount, result=result,
            reason=reason if result == FAILED else "", code=failure_code(reason) if result == FAILED else ""))
    if not parsed.rows and not parsed.bad_rows:
        parsed.error = str(MESSAGES.no_data)
    return parsed


@dataclass(frozen=True)
class Expected:
    """A batch line as the comparison sees it."""

    line_id: int
    summary: str
    name: str
    card: str
    amount: Decimal
    status: str  # the line's current result: "pending", SUCCESS or FAILED


def _card_matches(expected: str, given: str) -> bool:
    if not given:
        return True  # the bank left the column out: nothing to compare
    if "*" in given:  # a masked number: the visible digits must agree
        head, tail = given.split("*", 1)[0], given.rsplit("*", 1)[-1]
        return expected.startswith(head) and expected.endswith(tail)
    return given == expected


def compare(parsed: ReturnFile, lines: Iterable[Expected], *, total: Decimal) -> list[str]:
    """Every way the 回盘 disagrees with the batch, in a stable order; empty when it agrees line by line
    and in its totals. `total` is the batch's 总金额."""
    status_text = {SUCCESS: _("成功"), FAILED: _("失败")}
    by_summary = {r.summary: r for r in parsed.rows}
    differences: list[str] = []
    expected = list(lines)
    known = set()
    for e in expected:
        known.add(e.summary)
        r = by_summary.get(e.summary)
        if r is None:
            differences.append(_("批次明细 {summary}（{name}，{amount} 元）不在回盘中").format(
                summary=e.summary, name=e.name, amount=e.amount))
            continue
        if r.amount != e.amount:
            differences.append(_("第 {row} 行 {summary}：回盘金额 {got} 元，批次金额 {want} 元").format(
                row=r.row, summary=e.summary, got=r.amount, want=e.amount))
        if r.name and r.name != "".join(e.name.split()):
            differences.append(_("第 {row} 行 {summary}：回盘户名“{got}”，批次户名“{want}”").format(
                row=r.row, summary=e.summary, got=r.name, want=e.name))
        if not _card_matches(e.card, r.card):
            differences.append(_("第 {row} 行 {summary}：回盘银行卡号与批次不一致").format(row=r.row, summary=e.summary))
        if e.status != "pending" and e.status != r.result:
            differences.append(_("第 {row} 行 {summary}：已标记为{marked}，回盘为{got}").format(
                row=r.row, summary=e.summary, marked=status_text.get(e.status, e.status), got=status_text[r.result]))
    for r in parsed.rows:
        if r.summary not in known:
            differences.append(_("第 {row} 行 {summary}：不是本批次的明细").format(row=r.row, summary=r.summary))
    file_count, file_total = len(parsed.rows) + len(parsed.bad_rows), sum((r.amount for r in parsed.rows), Decimal("0.00"))
    if file_count != len(expected):
        differences.append(_("回盘 {got} 笔，批次 {want} 笔").format(got=file_count, want=len(expected)))
    if not parsed.bad_rows and file_total != total:
        differences.append(_("回盘总金额 {got} 元，批次总金额 {want} 元").format(got=file_total, want=total))
    if parsed.total_count is not None and parsed.total_count != len(expected):
        differences.append(_("回盘合计行 {got} 笔，批次 {want} 笔").format(got=parsed.total_count, want=len(expected)))
    if parsed.total_amount is not None and parsed.total_amount != total:
        differences.append(_("回盘合计行金额 {got} 元，批次总金额 {want} 元").format(got=parsed.total_amount, want=total))
    return differences
