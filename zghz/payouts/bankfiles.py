"""Bank transfer files of a 支付批次 (SPEC §6.4), written through a registry of templates.

A template turns the batch's lines (the snapshot of 户名, 银行卡号, 开户行, 金额 and 摘要 taken when the
batch was created) into the bytes the bank's system imports. Two are built in:

- `generic_xlsx` — one header row and one row per line: the card as a text cell (so Excel never turns
  19 digits into 6.22848E+18), the amount as a number with 2 decimals, no totals row inside the data.
- `gbk_txt` — a GBK text file, one `|`-separated line per payment with the amount in 分, closed by a
  line `总笔数|<n>|总金额|<分>`, CRLF line ends (what the banks' Windows clients expect).

A generic csv (`generic_csv`: UTF-8 with BOM, a header line, amounts in 元 with 2 decimals, no totals
line) is registered too, for banks that take csv. Another bank's layout is one more `XlsxTemplate(...)`
or `TextTemplate(...)` passed to `register()` (at import time of an app, e.g. in its AppConfig.ready); `PAYOUT_BANK_FILE_TEMPLATE` names the template
the export form offers first. Files are reproducible: the same batch always gives the same bytes (the
xlsx carries the batch's creation time, never the time of the download).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zghz.core.errors import DomainError
from zghz.exports.xlsx import MONEY, TEXT, Column, write_xlsx

CENT = Decimal("0.01")


@dataclass(frozen=True)
class BankLine:
    """One payment as exported: the line's snapshot, never the person's current data."""

    seq: int
    name: str  # 户名
    card: str  # 银行卡号 (full: it leaves the system here)
    bank: str  # 开户行
    amount: Decimal  # 金额 (核定金额), 2 decimals
    summary: str  # 摘要 = the claim number


@dataclass(frozen=True)
class BankFile:
    """What a template needs: the batch's identity, its creation time and its lines in order."""

    number: str
    created_at: datetime
    lines: Iterable[BankLine]
    count: int
    total: Decimal


# The fields a template may lay out, with their column headers.
FIELD_LABELS = {
    "seq": gettext_lazy("序号"),
    "name": gettext_lazy("户名"),
    "card": gettext_lazy("银行卡号"),
    "bank": gettext_lazy("开户行"),
    "amount": gettext_lazy("金额"),
    "summary": gettext_lazy("摘要"),
}
DEFAULT_FIELDS = ("name", "card", "bank", "amount", "summary")


@dataclass(frozen=True)
class Template:
    code: str
    label: str
    extension: str
    content_type: str
    fields: tuple[str, ...] = DEFAULT_FIELDS

    def render(self, bank_file: BankFile) -> bytes:  # pragma: no cover - every template overrides it
        raise NotImplementedError

    def filename(self, bank_file: BankFile) -> str:
        return f"{_('支付批次')}{bank_file.number}.{self.extension}"


@dataclass(frozen=True)
class XlsxTemplate(Template):
    extension: str = "xlsx"
    content_type: str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet_name: str = "支付明细"
    widths: dict[str, float] = field(default_factory=lambda: {"seq": 8, "name": 14, "card": 24, "bank": 28,
                                                              "amount": 14, "summary": 20})

    def render(self, bank_file: BankFile) -> bytes:
        columns = [Column(str(FIELD_LABELS[f]), MONEY if f == "amount" else TEXT, self.widths.get(f, 14))
                   for f in self.fields]
        rows = ([_value(line, f) for f in self.fields] for line in bank_file.lines)
        out = io.BytesIO()
        write_xlsx(out, sheet_name=self.sheet_name, columns=columns, rows=rows, created=bank_file.created_at)
        return out.getvalue()


def _value(line: BankLine, name: str) -> object:
    if name == "seq":
        return str(line.seq)
    return getattr(line, name)


def _fen(amount: Decimal) -> int:
    """Whole 分 of a 2-decimal amount; anything finer is a bug upstream, never rounded away silently."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"amount {amount} has more than 2 decimals")
    return int(cents)


@dataclass(frozen=True)
class TextTemplate(Template):
    extension: str = "txt"
    content_type: str = "text/plain; charset=GBK"
    encoding: str = "gbk"
    separator: str = "|"
    newline: str = "\r\n"
    amount_in_fen: bool = True
    header: bool = False  # a first line with the column names
    bom: bool = False  # a UTF-8 byte order mark first (Excel then reads the text as UTF-8)
    # The closing line; {count} is 总笔数, {total} 总金额 (in 分 when amount_in_fen); "" for none.
    footer: str = "总笔数|{count}|总金额|{total}"

    def _amount(self, amount: Decimal) -> str:
        return str(_fen(amount)) if self.amount_in_fen else f"{amount.quantize(CENT):f}"

    def _line(self, line: BankLine) -> str:
        values = []
        for f in self.fields:
            value = self._amount(line.amount) if f == "amount" else str(_value(line, f))
            if self.separator in value or "\r" in value or "\n" in value:
                raise DomainError(_("第 {seq} 笔（{summary}）的{field}含有分隔符“{sep}”或换行，不能写入文本文件，"
                                    "请改用 xlsx 模板或更正后重新生成批次").format(
                    seq=line.seq, summary=line.summary, field=FIELD_LABELS[f], sep=self.separator), code="bad_text")
            values.append(value)
        return self.separator.join(values)

    def _encode(self, text: str, where: str) -> bytes:
        try:
            return text.encode(self.encoding)
        except UnicodeEncodeError as e:
            bad = text[e.start:e.end]
            raise DomainError(_("{where}含有 {encoding} 无法表示的字符“{char}”，请改用 xlsx 模板").format(
                where=where, encoding=self.encoding.upper(), char=bad), code="bad_text") from None

    def render(self, bank_file: BankFile) -> bytes:
        out = io.BytesIO()
        if self.bom:
            out.write(b"\xef\xbb\xbf")
        if self.header:
            out.write(self._encode(self.separator.join(str(FIELD_LABELS[f]) for f in self.fields) + self.newline,
                                   _("表头")))
        for line in bank_file.lines:
            where = _("第 {seq} 笔（{summary}）").format(seq=line.seq, summary=line.summary)
            out.write(self._encode(self._line(line) + self.newline, where))
        if self.footer:
            total = self._amount(bank_file.total)
            out.write(self._encode(self.footer.format(count=bank_file.count, total=total) + self.newline, _("合计行")))
        return out.getvalue()


GENERIC_XLSX = XlsxTemplate(code="generic_xlsx", label=gettext_lazy("通用 xlsx 模板"))  # type: ignore[arg-type]
GBK_TXT = TextTemplate(code="gbk_txt", label=gettext_lazy("GBK 文本文件（金额单位：分）"))  # type: ignore[arg-type]
GENERIC_CSV = TextTemplate(code="generic_csv", label=gettext_lazy("通用 csv 模板"),  # type: ignore[arg-type]
                           extension="csv", content_type="text/csv; charset=utf-8", encoding="utf-8", bom=True,
                           separator=",", amount_in_fen=False, header=True, footer="")

_REGISTRY: dict[str, Template] = {}


def register(template: Template) -> Template:
    """Add (or replace) a template; returns it so a module can keep a name for it."""
    _REGISTRY[template.code] = template
    return template


register(GENERIC_XLSX)
register(GBK_TXT)
register(GENERIC_CSV)


def templates() -> list[Template]:
    """Every registered template, the configured default first."""
    default = default_template_code()
    return sorted(_REGISTRY.values(), key=lambda t: (t.code != default, t.code))


def default_template_code() -> str:
    code = getattr(settings, "PAYOUT_BANK_FILE_TEMPLATE", "") or GENERIC_XLSX.code
    return code if code in _REGISTRY else GENERIC_XLSX.code


def template_for(code: str) -> Template:
    template = _REGISTRY.get(code or default_template_code())
    if template is None:
        raise DomainError(_("未知的银行文件模板：{code}").format(code=code), field="template")
    return template
