"""`check_spreadsheet`: rosters are xlsx, xls or csv by content; macros, zip bombs and password-protected
workbooks are refused before any parser sees them."""

import io
import struct
import zipfile

import pytest
import xlsxwriter

from zghz.core.errors import DomainError
from zghz.files.services import ZIP_MAX_UNCOMPRESSED, check_spreadsheet

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def xlsx_bytes(rows: int = 3) -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet("参保人员")
    sheet.write_row(0, 0, ["姓名", "居民身份证号", "社保卡银行卡号", "开户行", "手机号"])
    for r in range(1, rows + 1):
        sheet.write_row(r, 0, [f"职工{r}", f"32020219900101{r % 1000:03d}X", f"62284804025648{r:05d}",
                               "农商行", f"139{r:08d}"])
    book.close()
    return buf.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _refused(data: bytes, name: str) -> str:
    with pytest.raises(DomainError) as e:
        check_spreadsheet(data, name)
    return e.value.message


def test_it_accepts_a_real_xlsx() -> None:
    assert check_spreadsheet(xlsx_bytes(), "花名册.xlsx") == "xlsx"
    assert check_spreadsheet(xlsx_bytes(), "花名册.XLSX") == "xlsx"


def test_it_accepts_a_large_honest_roster() -> None:
    assert check_spreadsheet(xlsx_bytes(5000), "roster.xlsx") == "xlsx"


def test_it_accepts_csv_in_utf8_and_gbk() -> None:
    text = "姓名,居民身份证号\n张三,32020219900101123X\n"
    assert check_spreadsheet(text.encode("utf-8-sig"), "roster.csv") == "csv"
    assert check_spreadsheet(text.encode("gbk"), "roster.csv") == "csv"


@pytest.mark.parametrize("name", ["roster.xlsm", "roster.xltm", "roster.xlsb"])
def test_it_refuses_macro_enabled_formats(name: str) -> None:
    assert "含宏" in _refused(xlsx_bytes(), name)


def test_it_refuses_an_xlsx_carrying_a_vba_project() -> None:
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes())) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    members["xl/vbaProject.bin"] = OLE_MAGIC + b"\x00" * 512
    assert "含有宏" in _refused(_zip(members), "roster.xlsx")


def test_it_refuses_a_zip_bomb() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            chunk = b"\x00" * (1 << 20)
            for _ in range(ZIP_MAX_UNCOMPRESSED // len(chunk) + 1):  # a little over 300 MB of zeros
                fh.write(chunk)
    data = buf.getvalue()
    assert len(data) < 1_000_000
    assert "解压后过大" in _refused(data, "roster.xlsx")


def test_it_refuses_a_small_archive_with_an_absurd_ratio() -> None:
    data = _zip({"xl/workbook.xml": b"<workbook/>", "xl/sharedStrings.xml": b" " * 30_000_000})
    assert "解压后过大" in _refused(data, "roster.xlsx")


def _lie_about_sizes(data: bytes, member: str, size: int) -> bytes:
    """Rewrites the uncompressed size a member declares, in its local header and in the central directory."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(member)
    local = info.header_offset
    out[local + 22:local + 26] = struct.pack("<I", size)
    central = out.index(b"PK\x01\x02")
    while out[central + 46:central + 46 + len(member)] != member.encode():
        central = out.index(b"PK\x01\x02", central + 4)
    out[central + 24:central + 28] = struct.pack("<I", size)
    return bytes(out)


def test_it_refuses_an_archive_that_lies_about_its_sizes() -> None:
    honest = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                   "xl/sharedStrings.xml": b"<sst>" + b"A" * 40_000_000 + b"</sst>"})
    lying = _lie_about_sizes(honest, "xl/sharedStrings.xml", 4000)
    with zipfile.ZipFile(io.BytesIO(lying)) as zf:
        assert sum(i.file_size for i in zf.infolist()) < 5000  # the headers now look harmless
    assert "无法读取" in _refused(lying, "roster.xlsx")


def test_it_refuses_a_password_protected_workbook() -> None:
    encrypted = OLE_MAGIC + b"\x00" * 200 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 200
    assert "表格已设置密码" in _refused(encrypted, "roster.xlsx")
    assert "表格已设置密码" in _refused(OLE_MAGIC + b"\x00" * 512, "roster.xlsx")
    assert "表格已设置密码" in _refused(encrypted, "roster.xls")


def test_it_accepts_a_legacy_xls_and_refuses_one_with_macros() -> None:
    plain = OLE_MAGIC + b"\x00" * 512 + "Workbook".encode("utf-16-le")
    assert check_spreadsheet(plain, "roster.xls") == "xls"
    with_vba = OLE_MAGIC + b"\x00" * 512 + "_VBA_PROJECT_CUR".encode("utf-16-le")
    assert "含有宏" in _refused(with_vba, "roster.xls")


@pytest.mark.parametrize(("data", "name"), [
    (b"%PDF-1.4\n%%EOF", "roster.xlsx"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "roster.csv"),
    (b"PK\x03\x04" + b"\x00" * 100, "roster.csv"),
    (b"name,id\x00\x00\x00binary", "roster.csv"),
    (b"<html><body>not a workbook</body></html>", "roster.xlsx"),
    (b"<html><body>not a workbook</body></html>", "roster.xls"),
])
def test_it_refuses_content_that_does_not_match_the_extension(data: bytes, name: str) -> None:
    assert "文件内容与扩展名不符" in _refused(data, name)


def test_it_refuses_a_zip_that_is_not_a_workbook() -> None:
    assert "无法读取" in _refused(_zip({"word/document.xml": b"<w/>"}), "roster.xlsx")
    assert "无法读取" in _refused(b"PK\x03\x04" + b"\x00" * 100, "roster.xlsx")


@pytest.mark.parametrize("name", ["roster.docx", "roster.txt", "roster", "roster.ods"])
def test_it_refuses_other_formats(name: str) -> None:
    assert "请上传 xlsx、xls 或 csv" in _refused(xlsx_bytes(), name)
