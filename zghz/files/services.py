"""The upload pipeline every portal uses (SPEC §10 'Uploads').

Order matters: size first (cheap), then the real type from the content (never trust the name or the
browser's content type), then type-specific defusing (images re-encoded, PDFs scanned, spreadsheets
checked for macros and zip bombs), then encryption and storage under a random name.
"""

import hashlib
import io
import re
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

from zghz.audit.services import record
from zghz.core.crypto import decrypt_bytes, encrypt_bytes
from zghz.core.errors import DomainError

from .models import StoredFile

DOCUMENT_TYPES = {"pdf", "png", "jpg", "jpeg"}
IMAGE_TYPES = {"png", "jpg", "jpeg"}
SPREADSHEET_TYPES = {"xlsx", "xls", "csv"}
IMAGE_MAX_SIDE = 2600  # long side after downscaling: legible scans, phone photos no longer 10 MB
ZIP_MAX_UNCOMPRESSED = 300 * 1024 * 1024
ZIP_MAX_RATIO = 200
_PDF_DANGEROUS = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA|SubmitForm|ImportData)\b")


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
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
            if width * height > settings.UPLOAD_MAX_PIXELS:
                raise DomainError(f"图片像素过大（{width}×{height}），请缩小后上传")
            probe.verify()
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            img = ImageOps.exif_transpose(img)
            if max(img.size) > IMAGE_MAX_SIDE:
                img.thumbnail((IMAGE_MAX_SIDE, IMAGE_MAX_SIDE))
            out = io.BytesIO()
            # Re-encoding drops EXIF (GPS, camera) and anything appended after the image data.
            if ext == "png" and img.mode in {"RGBA", "LA", "P"}:
                img.save(out, format="PNG", optimize=True)
                return CleanFile(out.getvalue(), "png", "image/png")
            img.convert("RGB").save(out, format="JPEG", quality=85)
            return CleanFile(out.getvalue(), "jpg", "image/jpeg")
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise DomainError("图片已损坏或格式不正确，请重新拍照或导出后上传") from None


def _clean_pdf(data: bytes) -> CleanFile:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if _PDF_DANGEROUS.search(data):
        raise DomainError("PDF 中含有脚本或嵌入文件，请打印后扫描为图片或重新导出 PDF 后上传")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DomainError("PDF 已加密，请取消密码后上传")
        root: Any = reader.trailer["/Root"]
        names = root.get("/Names")
        if names is not None and any(k in names.get_object() for k in ("/JavaScript", "/EmbeddedFiles")):
            raise DomainError("PDF 中含有脚本或嵌入文件，请重新导出后上传")
        # Object streams are compressed, so walk the decoded objects too.
        for page in reader.pages:
            for annot in page.get("/Annots") or []:
                action = annot.get_object().get("/A")
                if action is not None and action.get_object().get("/S") in {"/JavaScript", "/Launch"}:
                    raise DomainError("PDF 中含有脚本，请重新导出后上传")
    except DomainError:
        raise
    except (PdfReadError, KeyError, ValueError, TypeError, AttributeError):
        raise DomainError("PDF 已损坏，无法打开，请重新导出后上传") from None
    return CleanFile(data, "pdf", "application/pdf")


def check_spreadsheet(data: bytes, name: str) -> str:
    """Returns the real spreadsheet type or raises; refuses macros and zip bombs before any parser runs."""
    ext = _extension(name)
    kind = _sniff(data)
    if ext == "csv":
        if kind is not None:
            raise DomainError("文件内容与扩展名不符，请上传 xlsx、xls 或 csv 格式的花名册")
        return "csv"
    if ext in {"xlsm", "xltm", "xlsb"}:
        raise DomainError("不支持含宏的表格（xlsm），请另存为 xlsx 后上传")
    if ext == "xlsx" and kind == "zip":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                infos = zf.infolist()
                names = {i.filename for i in infos}
                if any("vbaProject" in n for n in names):
                    raise DomainError("表格中含有宏，请另存为不含宏的 xlsx 后上传")
                total = sum(i.file_size for i in infos)
                packed = sum(i.compress_size for i in infos) or 1
                if total > ZIP_MAX_UNCOMPRESSED or total / packed > ZIP_MAX_RATIO:
                    raise DomainError("表格文件异常（解压后过大），请重新导出后上传")
                if "xl/workbook.xml" not in names:
                    raise DomainError("文件无法读取，请确认是未加密的 xlsx、xls 或 csv 文件")
        except zipfile.BadZipFile:
            raise DomainError("文件无法读取，请确认是未加密的 xlsx、xls 或 csv 文件") from None
        return "xlsx"
    if ext == "xlsx" and kind == "ole":
        # An encrypted xlsx is an OLE container holding the real workbook.
        raise DomainError("表格已设置密码，请取消密码后上传")
    if ext == "xls" and kind == "ole":
        return "xls"
    if ext not in SPREADSHEET_TYPES:
        raise DomainError("请上传 xlsx、xls 或 csv 格式的花名册")
    raise DomainError("文件内容与扩展名不符，请上传 xlsx、xls 或 csv 格式的花名册")


def clean_document(data: bytes, name: str, *, allowed: set[str] = DOCUMENT_TYPES) -> CleanFile:
    ext = _extension(name)
    if ext not in allowed:
        raise DomainError(f"文件格式不支持，请上传 {'、'.join(sorted(allowed))} 格式")
    kind = _sniff(data)
    if kind == "pdf" and ext == "pdf":
        return _clean_pdf(data)
    if kind in {"png", "jpg"} and ext in IMAGE_TYPES:
        return _clean_image(data, kind)
    raise DomainError("文件内容与扩展名不符，请上传真实的 pdf、png、jpg 或 jpeg 文件")


def read_upload(upload: UploadedFile) -> bytes:
    if upload.size is not None and upload.size > settings.UPLOAD_MAX_BYTES:
        raise DomainError(f"文件过大，单个文件不能超过 {settings.UPLOAD_MAX_BYTES // (1024 * 1024)} MB")
    if not upload.size:
        raise DomainError("文件为空，请重新选择")
    return upload.read()


def store_upload(*, upload: UploadedFile, purpose: str, actor: Any, unit: Any = None,
                 allowed: set[str] = DOCUMENT_TYPES) -> StoredFile:
    """Check, defuse, encrypt and store one uploaded document. Raises DomainError with a Chinese message."""
    data = read_upload(upload)
    clean = clean_document(data, upload.name or "", allowed=allowed)
    storage_name = f"{purpose}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"
    stored_name = storages["private"].save(storage_name, ContentFile(encrypt_bytes(clean.data, aad=b"file")))
    base = (upload.name or "file").rsplit(".", 1)[0][:200]
    try:
        with transaction.atomic():
            stored = StoredFile.objects.create(
                purpose=purpose,
                original_name=f"{base}.{clean.ext}",
                content_type=clean.content_type,
                size=len(clean.data),
                sha256=hashlib.sha256(clean.data).hexdigest(),
                storage_name=stored_name,
                unit_id=getattr(unit, "pk", None),
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            record(action="file.upload", actor=actor, unit=unit, obj=stored, purpose=purpose)
    except Exception:
        storages["private"].delete(stored_name)
        raise
    return stored


def read_stored(stored: StoredFile) -> bytes:
    with storages["private"].open(stored.storage_name, "rb") as fh:
        return decrypt_bytes(fh.read(), aad=b"file")
