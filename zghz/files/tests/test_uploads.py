"""The upload pipeline (SPEC §10 'Uploads'): type by content and extension, size limit, images re-encoded
(EXIF, polyglots and pixel bombs), PDFs with scripts or attachments refused, encrypted storage under
random names."""

import hashlib
import io
import os
import zipfile
from typing import Any

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import InMemoryUploadedFile
from PIL import Image

from zghz.audit.models import AuditEntry
from zghz.conftest import Personas
from zghz.core.errors import DomainError
from zghz.files.models import StoredFile
from zghz.files.services import IMAGE_MAX_SIDE, read_stored, store_upload

from .helpers import (
    jpeg_bytes,
    jpeg_with_gps,
    pdf_bytes,
    pdf_with_hidden_action,
    pdf_with_stream_bytes,
    pixel_bomb_png,
    png_bytes,
    upload,
)


def _store(personas: Personas, name: str, data: bytes) -> StoredFile:
    return store_upload(upload=upload(name, data), purpose="unit_certificate", actor=personas.unit_a.handler,
                        unit=personas.unit_a)


def _refused(personas: Personas, name: str, data: bytes) -> str:
    files_before = StoredFile.objects.count()
    with pytest.raises(DomainError) as e:
        _store(personas, name, data)
    assert StoredFile.objects.count() == files_before
    assert any("\u4e00" <= ch <= "\u9fff" for ch in e.value.message), e.value.message  # a Chinese message
    return e.value.message


def _image(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def test_it_accepts_and_re_encodes_a_png(personas: Personas) -> None:
    original = png_bytes((64, 48), mode="RGBA")
    stored = _store(personas, "证书.png", original)
    clean = read_stored(stored)
    assert clean != original and clean.startswith(b"\x89PNG")
    assert _image(clean).size == (64, 48)
    assert (stored.original_name, stored.content_type, stored.size) == ("证书.png", "image/png", len(clean))
    assert stored.sha256 == hashlib.sha256(clean).hexdigest()
    assert stored.unit_id == personas.unit_a.pk and stored.created_by == personas.unit_a.handler
    entry = AuditEntry.objects.get(action="file.upload")
    assert entry.object_id == str(stored.pk) and entry.unit_id == personas.unit_a.pk


def test_it_stores_an_opaque_png_as_jpeg(personas: Personas) -> None:
    stored = _store(personas, "scan.png", png_bytes((64, 48), mode="RGB"))
    assert read_stored(stored).startswith(b"\xff\xd8\xff")
    # The name the user uploaded is kept (the page says 已转换为 JPEG); a download gets the real extension.
    assert (stored.original_name, stored.content_type) == ("scan.png", "image/jpeg")
    assert stored.converted_to_jpeg and stored.download_name == "scan.jpg"


def test_it_accepts_and_re_encodes_a_jpeg(personas: Personas) -> None:
    original = jpeg_bytes((120, 90))
    stored = _store(personas, "licence.JPEG", original)
    clean = read_stored(stored)
    assert clean != original and clean.startswith(b"\xff\xd8\xff") and clean.endswith(b"\xff\xd9")
    assert _image(clean).size == (120, 90)
    assert stored.original_name == "licence.JPEG" and not stored.converted_to_jpeg


def test_it_strips_exif_and_gps_and_applies_the_orientation(personas: Personas) -> None:
    original = jpeg_with_gps((80, 40), orientation=6)  # "rotate 90° clockwise to display"
    assert dict(_image(original).getexif().get_ifd(0x8825))[1] == "N"
    clean = read_stored(_store(personas, "photo.jpg", original))
    img = _image(clean)
    assert not img.getexif() and not img.getexif().get_ifd(0x8825)
    assert b"Exif" not in clean and b"TestCam" not in clean and b"Model-7" not in clean
    assert img.size == (40, 80)  # turned upright, so the orientation tag is no longer needed


def test_it_downscales_a_large_photo(personas: Personas) -> None:
    stored = _store(personas, "big.jpg", jpeg_bytes((6000, 4000)))
    img = _image(read_stored(stored))
    assert max(img.size) <= IMAGE_MAX_SIDE
    assert img.size == (IMAGE_MAX_SIDE, round(IMAGE_MAX_SIDE * 4000 / 6000))


def test_it_refuses_a_pixel_bomb(personas: Personas) -> None:
    assert "图片像素过大" in _refused(personas, "bomb.png", pixel_bomb_png(60_000, 60_000))
    assert "图片像素过大（8000×8000）" in _refused(personas, "bomb.png", pixel_bomb_png(8000, 8000))
    assert "图片像素过大" in _refused(personas, "bomb.png", pixel_bomb_png(1, 50_000_000))


def test_it_bounds_pixels_by_the_setting(personas: Personas, settings: Any) -> None:
    settings.UPLOAD_MAX_PIXELS = 100 * 100
    assert "图片像素过大（101×100）" in _refused(personas, "a.png", png_bytes((101, 100)))
    assert _store(personas, "b.png", png_bytes((100, 100)))


def test_it_refuses_a_broken_image(personas: Personas) -> None:
    data = png_bytes((64, 48))
    assert "图片已损坏" in _refused(personas, "cut.png", data[: len(data) // 2])
    assert "图片已损坏" in _refused(personas, "noise.jpg", b"\xff\xd8\xff" + os.urandom(2000))


def test_it_cuts_a_zip_appended_to_a_jpeg(personas: Personas) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("shell.php", "<?php system($_GET['c']); ?>")
    polyglot = jpeg_bytes((100, 60)) + archive.getvalue()
    assert zipfile.is_zipfile(io.BytesIO(polyglot))  # really a valid zip as well
    clean = read_stored(_store(personas, "poly.jpg", polyglot))
    assert b"PK\x03\x04" not in clean and b"shell.php" not in clean and b"<?php" not in clean
    assert clean.endswith(b"\xff\xd9") and not zipfile.is_zipfile(io.BytesIO(clean))


def test_it_drops_comments_profiles_and_text_chunks_where_payloads_hide(personas: Personas) -> None:
    from PIL import PngImagePlugin

    payload = b"<script>alert(document.cookie)</script>"
    jpeg = jpeg_bytes((60, 40), comment=payload)
    assert payload in jpeg
    assert payload not in read_stored(_store(personas, "c.jpg", jpeg))

    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", payload.decode())
    png = png_bytes((60, 40), mode="RGBA", pnginfo=text, icc_profile=b"ICC" + payload)
    assert _image(png).info.get("icc_profile")
    clean = read_stored(_store(personas, "c.png", png))
    assert payload not in clean and b"iCCP" not in clean and b"tEXt" not in clean


@pytest.mark.parametrize(("name", "data"), [
    ("cert.png", b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF"),
    ("cert.png", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
    ("cert.jpg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
    ("cert.pdf", None),  # a PNG calling itself a PDF
    ("cert.jpg", b"MZ\x90\x00" + b"\x00" * 200),
])
def test_it_refuses_content_that_does_not_match_the_extension(personas: Personas, name: str,
                                                               data: bytes | None) -> None:
    message = _refused(personas, name, data if data is not None else png_bytes())
    assert "文件内容与扩展名不符" in message


@pytest.mark.parametrize("name", ["cert.svg", "cert.html", "cert.exe", "cert.gif", "cert", "cert.png.exe"])
def test_it_refuses_other_extensions(personas: Personas, name: str) -> None:
    assert "文件格式不支持" in _refused(personas, name, png_bytes())


def test_it_accepts_a_plain_pdf_unchanged(personas: Personas) -> None:
    original = pdf_bytes()
    stored = _store(personas, "营业执照.pdf", original)
    assert read_stored(stored) == original
    assert (stored.original_name, stored.content_type) == ("营业执照.pdf", "application/pdf")


def test_it_refuses_a_pdf_with_javascript(personas: Personas) -> None:
    assert "脚本" in _refused(personas, "js.pdf", pdf_bytes(js="app.alert('hi');"))


def test_it_refuses_a_pdf_with_an_embedded_file(personas: Personas) -> None:
    assert "嵌入文件" in _refused(personas, "attach.pdf", pdf_bytes(attachment=b"MZ\x90\x00payload"))


@pytest.mark.parametrize("action", ["/JavaScript", "/Launch"])
def test_it_refuses_a_pdf_action_whose_name_is_escaped(personas: Personas, action: str) -> None:
    data = pdf_with_hidden_action(action)
    assert action.encode() not in data  # invisible to a byte search
    assert "脚本" in _refused(personas, "hidden.pdf", data)


def test_it_accepts_a_pdf_whose_image_data_happens_to_hold_short_names(personas: Personas) -> None:
    # Three bytes such as "/JS" turn up by chance in megabytes of scanned image data; only decoded
    # dictionaries say whether a document carries a script.
    data = pdf_with_stream_bytes(b"\x8f\x02/JS \x91/XFA\x00/AA \x13")
    assert b"/JS " in data
    assert _store(personas, "scan.pdf", data).content_type == "application/pdf"


def test_it_refuses_an_encrypted_pdf(personas: Personas) -> None:
    assert "PDF 已加密" in _refused(personas, "locked.pdf", pdf_bytes(password="123456"))


def test_it_refuses_a_broken_pdf(personas: Personas) -> None:
    assert "PDF 已损坏" in _refused(personas, "broken.pdf", b"%PDF-1.7\n" + os.urandom(500))


def test_it_refuses_an_oversized_upload(personas: Personas, settings: Any) -> None:
    settings.UPLOAD_MAX_BYTES = 2048
    big = jpeg_bytes((300, 300))
    assert len(big) > 2048
    assert "文件过大" in _refused(personas, "big.jpg", big)


def test_it_does_not_trust_the_size_the_client_reports(personas: Personas, settings: Any) -> None:
    settings.UPLOAD_MAX_BYTES = 2048
    big = jpeg_bytes((300, 300))
    lying = InMemoryUploadedFile(io.BytesIO(big), "certificate", "small.jpg", "image/jpeg", 100, None)
    with pytest.raises(DomainError, match="文件过大"):
        store_upload(upload=lying, purpose="unit_certificate", actor=personas.unit_a.handler)


def test_it_refuses_an_empty_file(personas: Personas) -> None:
    assert "文件为空" in _refused(personas, "empty.png", b"")


def test_it_stores_ciphertext_under_a_random_name_without_extension(personas: Personas) -> None:
    original = png_bytes((64, 48))
    first, second = _store(personas, "证书.png", original), _store(personas, "证书.png", original)
    storage = storages["private"]
    names = {first.storage_name, second.storage_name}
    assert len(names) == 2
    for stored in (first, second):
        leaf = stored.storage_name.rsplit("/", 1)[-1]
        assert len(leaf) == 32 and int(leaf, 16) >= 0 and "." not in leaf
        assert "证书" not in stored.storage_name and "png" not in stored.storage_name
        with open(storage.path(stored.storage_name), "rb") as fh:
            on_disk = fh.read()
        clean = read_stored(stored)
        assert not on_disk.startswith(b"\x89PNG") and b"IHDR" not in on_disk and b"IDAT" not in on_disk
        assert clean not in on_disk and len(on_disk) > len(clean)
    assert read_stored(first) == read_stored(second)
    first_path, second_path = storage.path(first.storage_name), storage.path(second.storage_name)
    with open(first_path, "rb") as a, open(second_path, "rb") as b:
        assert a.read() != b.read()  # a fresh nonce per file


def test_it_leaves_no_file_behind_when_the_record_cannot_be_saved(personas: Personas,
                                                                  monkeypatch: Any) -> None:
    import zghz.files.services as services

    saved: list[str] = []
    real_save = storages["private"].save

    def spy(name: str, content: Any, **kw: Any) -> str:
        saved.append(real_save(name, content, **kw))
        return saved[-1]

    def broken_record(**kw: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(storages["private"], "save", spy)
    monkeypatch.setattr(services, "record", broken_record)
    with pytest.raises(RuntimeError):
        _store(personas, "a.png", png_bytes())
    assert saved and not storages["private"].exists(saved[0])
