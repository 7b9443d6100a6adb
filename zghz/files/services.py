"""The upload pipeline every portal uses (SPEC §10 'Uploads').

Order matters: size first (cheap), then the real type from the content (never trust the name or the
browser's content type), then type-specific defusing (images re-encoded, PDFs scanned, spreadsheets
checked for macros and zip bombs), then encryption and storage under a random name.

Storage follows the transaction that records the decision: services `check_upload` every file first
(nothing stored), then inside `atomic_with_uploads()` take their lock, `save_upload` and record. A block
that does not commit deletes the blobs it stored, so a lost race or a refused second file leaves none.
"""

import hashlib
import io
import logging
import re
import uuid
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps

from zghz.audit.services import record
from zghz.core.crypto import decrypt_bytes, encrypt_bytes
from zghz.core.errors import DomainError

from .models import StoredFile
from .sheets import SheetError, Table, read_table

logger = logging.getLogger(__name__)

DOCUMENT_TYPES = {"pdf", "png", "jpg", "jpeg"}
IMAGE_TYPES = {"png", "jpg", "jpeg"}
SPREADSHEET_TYPES = {"xlsx", "xls", "csv"}
IMAGE_MAX_SIDE = 2600  # long side after downscaling: legible scans, phone photos no longer 10 MB
ZIP_MAX_UNCOMPRESSED = 300 * 1024 * 1024
ZIP_MAX_RATIO = 200
# A cheap first pass over the raw bytes. Short names such as /JS or /XFA are left to the object walk: a
# few bytes turn up by chance in a large scanned image stream and would refuse honest scans.
_PDF_DANGEROUS = re.compile(rb"/(JavaScript|Launch|EmbeddedFiles?|RichMedia|SubmitForm|ImportData)\b")
# Dictionary keys, or values of /S, /Type and /Subtype, that mean a script, an action reaching outside
# the document, a form that posts somewhere, or an attached file.
_PDF_DANGEROUS_NAMES = {"/JavaScript", "/JS", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/EF",
                        "/FileAttachment", "/RichMedia", "/XFA", "/SubmitForm", "/ImportData", "/GoToE"}
_PDF_KIND_KEYS = {"/S", "/Type", "/Subtype"}
PDF_MAX_OBJECTS = 200_000
PDF_ACTIVE_CONTENT = gettext_lazy("PDF 中含有脚本、动作或嵌入文件，请打印后扫描为图片或重新导出 PDF 后上传")


@dataclass
class CleanFile:
    data: bytes
    ext: str
    content_type: str


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    return None


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _clean_image(data: bytes, ext: str) -> CleanFile:
    try:
        formats = ["PNG"] if ext == "png" else ["JPEG"]
        with Image.open(io.BytesIO(data), formats=formats) as probe:
            width, height = probe.size
            if width * height > settings.UPLOAD_MAX_PIXELS:
                raise DomainError(_("图片像素过大（{width}×{height}），请缩小后上传").format(width=width, height=height))
            probe.verify()
        with Image.open(io.BytesIO(data), formats=formats) as source:
            source.load()
            img = ImageOps.exif_transpose(source)
        if max(img.size) > IMAGE_MAX_SIDE:
            img.thumbnail((IMAGE_MAX_SIDE, IMAGE_MAX_SIDE))
        # Only pixels survive: Pillow would otherwise write back the comment, ICC profile or transparency
        # it read, and a comment or profile is where a polyglot keeps its payload. EXIF (GPS, camera) and
        # anything appended after the image data are dropped by the re-encoding itself.
        img.info = {"transparency": img.info["transparency"]} if "transparency" in img.info else {}
        out = io.BytesIO()
        if ext == "png" and img.mode in {"RGBA", "LA", "P"}:
            img.save(out, format="PNG", optimize=True)
            return CleanFile(out.getvalue(), "png", "image/png")
        img.convert("RGB").save(out, format="JPEG", quality=85)
        return CleanFile(out.getvalue(), "jpg", "image/jpeg")
    except DomainError:
        raise
    except Image.DecompressionBombError:  # Pillow's own, larger bound, checked when the header is read
        raise DomainError(_("图片像素过大，请缩小后上传")) from None
    except Exception:  # a hostile file can make any decoder fail in any way; the user gets one answer
        raise DomainError(_("图片已损坏或格式不正确，请重新拍照或导出后上传")) from None


def _pdf_danger(reader: Any) -> bool:
    """Walks every object reachable from the trailer, decoded (names unescaped, object streams opened),
    looking for actions, scripts, forms that submit and attached files; the raw byte scan above misses
    `/J#61vaScript` and anything inside a compressed object stream."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [reader.trailer]
    budget = PDF_MAX_OBJECTS
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            ref = (node.idnum, node.generation)
            if ref in seen:
                continue
            seen.add(ref)
            node = node.get_object()
        budget -= 1
        if budget < 0:
            raise DomainError(_("PDF 结构过于复杂，无法检查，请重新导出后上传"))
        if isinstance(node, DictionaryObject):
            for key, value in node.items():
                if key in _PDF_DANGEROUS_NAMES or (key in _PDF_KIND_KEYS and value in _PDF_DANGEROUS_NAMES):
                    return True
                stack.append(value)
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return False


def _clean_pdf(data: bytes) -> CleanFile:
    from pypdf import PdfReader

    if _PDF_DANGEROUS.search(data):
        raise DomainError(PDF_ACTIVE_CONTENT)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DomainError(_("PDF 已加密，请取消密码后上传"))
        if _pdf_danger(reader):
            raise DomainError(PDF_ACTIVE_CONTENT)
        if len(reader.pages) == 0:
            raise DomainError(_("PDF 没有页面，请重新导出后上传"))
    except DomainError:
        raise
    except Exception:  # a hostile file can make the parser fail in any way; the user gets one answer
        raise DomainError(_("PDF 已损坏，无法打开，请重新导出后上传")) from None
    return CleanFile(data, "pdf", "application/pdf")


_UNREADABLE_SHEET = gettext_lazy("文件无法读取，请确认是未加密的 xlsx、xls 或 csv 文件")
_SHEET_TOO_BIG = gettext_lazy("表格文件异常（解压后过大），请重新导出后上传")
_SHEET_MISMATCH = gettext_lazy("文件内容与扩展名不符，请上传 xlsx、xls 或 csv 格式的花名册")
_SHEET_PASSWORD = gettext_lazy("表格已设置密码，请取消密码后上传")
_SHEET_MACRO = gettext_lazy("表格中含有宏，请另存为不含宏的 xlsx 后上传")
_OLE_VBA = "_VBA_PROJECT".encode("utf-16-le")
_OLE_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")


def _inflate_members(data: bytes, infos: list[zipfile.ZipInfo]) -> None:
    """Inflates every member for real, with a cap, instead of trusting the sizes the archive declares:
    a crafted archive can announce a few kilobytes and unpack to gigabytes inside the spreadsheet parser."""
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise DomainError(_SHEET_PASSWORD)
        if info.compress_type not in {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}:
            raise DomainError(_UNREADABLE_SHEET)
        header = data[info.header_offset:info.header_offset + 30]
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise DomainError(_UNREADABLE_SHEET)
        name_len, extra_len = int.from_bytes(header[26:28], "little"), int.from_bytes(header[28:30], "little")
        start = info.header_offset + 30 + name_len + extra_len
        packed = data[start:start + info.compress_size]
        if info.compress_type == zipfile.ZIP_STORED:
            produced = len(packed)
        else:
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            produced, pending = 0, packed
            while pending and not inflater.eof:
                chunk = inflater.decompress(pending, 1 << 20)
                pending = inflater.unconsumed_tail
                produced += len(chunk)
                if total + produced > ZIP_MAX_UNCOMPRESSED:
                    raise DomainError(_SHEET_TOO_BIG)
        total += produced
        if total > ZIP_MAX_UNCOMPRESSED:
            raise DomainError(_SHEET_TOO_BIG)
        if produced != info.file_size:
            raise DomainError(_UNREADABLE_SHEET)


def check_spreadsheet(data: bytes, name: str) -> str:
    """Returns the real spreadsheet type or raises; refuses macros and zip bombs before any parser runs."""
    ext = _extension(name)
    kind = _sniff(data)
    if ext == "csv":
        if kind is not None or b"\x00" in data[:65536]:
            raise DomainError(_SHEET_MISMATCH)
        return "csv"
    if ext in {"xlsm", "xltm", "xlsb"}:
        raise DomainError(_("不支持含宏的表格（xlsm），请另存为 xlsx 后上传"))
    if ext == "xlsx" and kind == "zip":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                infos = zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
            raise DomainError(_UNREADABLE_SHEET) from None
        names = {i.filename for i in infos}
        if any("vbaproject" in n.lower() for n in names):
            raise DomainError(_SHEET_MACRO)
        total = sum(i.file_size for i in infos)
        packed = sum(i.compress_size for i in infos) or 1
        if total > ZIP_MAX_UNCOMPRESSED or total / packed > ZIP_MAX_RATIO:
            raise DomainError(_SHEET_TOO_BIG)
        if "xl/workbook.xml" not in names:
            raise DomainError(_UNREADABLE_SHEET)
        try:
            _inflate_members(data, infos)
        except zlib.error:
            raise DomainError(_UNREADABLE_SHEET) from None
        return "xlsx"
    if kind == "ole" and ext in {"xlsx", "xls"}:
        # An encrypted xlsx is an OLE container holding the real workbook.
        if ext == "xlsx" or _OLE_ENCRYPTED in data:
            raise DomainError(_SHEET_PASSWORD)
        if _OLE_VBA in data:
            raise DomainError(_SHEET_MACRO)
        return "xls"
    if ext not in SPREADSHEET_TYPES:
        raise DomainError(_("请上传 xlsx、xls 或 csv 格式的花名册"))
    raise DomainError(_SHEET_MISMATCH)


def clean_document(data: bytes, name: str, *, allowed: set[str] = DOCUMENT_TYPES) -> CleanFile:
    ext = _extension(name)
    if ext not in allowed:
        raise DomainError(_("文件格式不支持，请上传 {formats} 格式").format(formats='、'.join(sorted(allowed))))
    kind = _sniff(data)
    if kind == "pdf" and ext == "pdf":
        return _clean_pdf(data)
    if kind in {"png", "jpg"} and ext in IMAGE_TYPES:
        return _clean_image(data, kind)
    raise DomainError(_("文件内容与扩展名不符，请上传真实的 pdf、png、jpg 或 jpeg 文件"))


def read_upload(upload: UploadedFile) -> bytes:
    """The upload's bytes, refusing empty and oversized files. Reads at most one byte past the limit, so a
    size the client misreports cannot make the server read more."""
    limit = settings.UPLOAD_MAX_BYTES
    too_big = DomainError(_("文件过大，单个文件不能超过 {size} MB").format(size=max(limit // (1024 * 1024), 1)))
    if upload.size is not None and upload.size > limit:
        raise too_big
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise too_big
    if not data:
        raise DomainError(_("文件为空，请重新选择"))
    return data


def read_spreadsheet_upload(upload: UploadedFile, **options: Any) -> Table:
    """An uploaded xlsx, xls or csv as a `sheets.Table`: size, type, macro and zip-bomb checks first, then
    `sheets.read_table(**options)` (expected_headers, required_headers, max_rows, …). Every problem is a
    DomainError with the Chinese message; its code is the SheetError's (unreadable, no_header, …)."""
    data = read_upload(upload)
    name = upload.name or ""
    check_spreadsheet(data, name)
    try:
        return read_table(data, name, **options)
    except SheetError as e:
        raise DomainError(e.message, code=e.code) from None


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed the pipeline, held in memory: nothing is stored yet."""

    clean: CleanFile
    original_name: str


def check_upload(upload: UploadedFile, *, allowed: set[str] = DOCUMENT_TYPES) -> CheckedUpload:
    """Read, check and defuse one uploaded document without storing anything. Raises DomainError with a
    Chinese message. Services check every file first, then decide, then `save_upload` inside the
    transaction that records the decision."""
    clean = clean_document(read_upload(upload), upload.name or "", allowed=allowed)
    # The name the user chose is what every page shows (the stored bytes may be re-encoded: a png photo
    # is kept as JPEG, which StoredFile.converted_to_jpeg tells and StoredFile.download_name applies).
    return CheckedUpload(clean=clean, original_name=upload_display_name(upload))


def upload_display_name(upload: UploadedFile) -> str:
    """The file name the user chose, without any client path, at most 200 characters (extension kept)."""
    name = (upload.name or "file").replace("\\", "/").rsplit("/", 1)[-1].strip() or "file"
    if len(name) > 200:
        base, _dot, ext = name.rpartition(".")
        name = f"{base[:190]}.{ext[:8]}" if base else name[:200]
    return name


# The blobs stored inside the innermost atomic_with_uploads block of this thread or task.
_PENDING: ContextVar[list[str] | None] = ContextVar("zghz_pending_uploads", default=None)


def _delete_blobs(names: list[str]) -> None:
    storage = storages["private"]
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # the original error matters more; a leftover blob is only wasted space
            logger.exception("could not delete the stored file %s after a rollback", name)


@contextmanager
def atomic_with_uploads() -> Iterator[None]:
    """`transaction.atomic()` that owns the files stored inside it. A database rollback cannot take back
    a blob written to disk or a bucket, so when the block does not commit (an error, the loser of a race
    answered AlreadyProcessed, the second of two files refused) the blobs stored inside it are deleted
    along with their rolled-back rows. A nested block hands its blobs to the enclosing one, whose outcome
    then decides. Every service that stores uploads and then records a decision stores them in one."""
    outer = _PENDING.get()
    names: list[str] = []
    token = _PENDING.set(names)
    committed = False
    try:
        with transaction.atomic():
            yield
        committed = True
    finally:
        _PENDING.reset(token)
        if not committed:
            _delete_blobs(names)
        elif outer is not None:
            outer.extend(names)


def save_upload(checked: CheckedUpload, *, purpose: str, actor: Any, unit: Any = None) -> StoredFile:
    """Encrypt and store a checked upload under a random name, with its StoredFile row and audit row. The
    blob belongs to the enclosing atomic_with_uploads block (or to its own, when there is none): if that
    does not commit, the blob is deleted."""
    clean = checked.clean
    with atomic_with_uploads():
        storage_name = f"{purpose}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"
        stored_name = storages["private"].save(storage_name, ContentFile(encrypt_bytes(clean.data, aad=b"file")))
        pending = _PENDING.get()
        assert pending is not None
        pending.append(stored_name)
        stored = StoredFile.objects.create(
            purpose=purpose,
            original_name=checked.original_name,
            content_type=clean.content_type,
            size=len(clean.data),
            sha256=hashlib.sha256(clean.data).hexdigest(),
            storage_name=stored_name,
            unit_id=getattr(unit, "pk", None),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        record(action="file.upload", actor=actor, unit=unit, obj=stored, purpose=purpose)
    return stored


SPREADSHEET_CONTENT_TYPES = {"csv": "text/csv", "xls": "application/vnd.ms-excel",
                             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def save_spreadsheet(data: bytes, *, name: str, purpose: str, actor: Any, unit: Any = None) -> StoredFile:
    """Encrypt and store an uploaded spreadsheet for a background job (check_spreadsheet first: size,
    type by content, macros, zip bombs), like save_upload: random name, audited, deleted again when the
    enclosing atomic_with_uploads block does not commit."""
    kind = check_spreadsheet(data, name)
    clean = CleanFile(data=data, ext=kind, content_type=SPREADSHEET_CONTENT_TYPES[kind])
    original = (name or f"file.{kind}").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200] or f"file.{kind}"
    return save_upload(CheckedUpload(clean=clean, original_name=original), purpose=purpose, actor=actor, unit=unit)


def store_upload(*, upload: UploadedFile, purpose: str, actor: Any, unit: Any = None,
                 allowed: set[str] = DOCUMENT_TYPES) -> StoredFile:
    """check_upload + save_upload for one file. Raises DomainError with a Chinese message (nothing stored).
    Called inside an atomic_with_uploads block, the blob goes if that block rolls back."""
    return save_upload(check_upload(upload, allowed=allowed), purpose=purpose, actor=actor, unit=unit)


def read_stored(stored: StoredFile) -> bytes:
    with storages["private"].open(stored.storage_name, "rb") as fh:
        return decrypt_bytes(fh.read(), aad=b"file")
