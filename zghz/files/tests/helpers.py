"""Builders for the files an upload test needs: honest ones and hostile ones."""

import io
import struct
import zlib
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def png_bytes(size: tuple[int, int] = (64, 48), mode: str = "RGBA", **save: Any) -> bytes:
    buf = io.BytesIO()
    colour = (200, 30, 30, 255) if mode == "RGBA" else (200, 30, 30)
    Image.new(mode, size, colour).save(buf, format="PNG", **save)
    return buf.getvalue()


def jpeg_bytes(size: tuple[int, int] = (64, 48), **save: Any) -> bytes:
    buf = io.BytesIO()
    # Gradients, so re-encoding has real content to work on.
    across = Image.linear_gradient("L").rotate(90).resize(size)
    down = Image.linear_gradient("L").resize(size)
    img = Image.merge("RGB", (across, down, Image.new("L", size, 128)))
    img.save(buf, format="JPEG", quality=90, **save)
    return buf.getvalue()


def jpeg_with_gps(size: tuple[int, int] = (80, 40), orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    exif[0x0110] = "Model-7"  # Model
    exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (31.0, 34.0, 12.5)  # Wuxi
    gps[3] = "E"
    gps[4] = (120.0, 18.0, 3.25)
    return jpeg_bytes(size, exif=exif.tobytes())


def pixel_bomb_png(width: int = 60_000, height: int = 60_000) -> bytes:
    """A real, tiny PNG whose header claims a huge canvas (IHDR patched, CRC fixed)."""
    data = bytearray(png_bytes((8, 8), mode="RGB"))
    ihdr = data.index(b"IHDR")
    data[ihdr + 4:ihdr + 12] = struct.pack(">II", width, height)
    data[ihdr + 17:ihdr + 21] = struct.pack(">I", zlib.crc32(bytes(data[ihdr:ihdr + 17])))
    return bytes(data)


def pdf_bytes(*, js: str | None = None, attachment: bytes | None = None,
              password: str | None = None) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if js:
        from pypdf.actions import JavaScript

        writer.add_open_action(JavaScript(js))  # a document-level script, run when the file opens
    if attachment is not None:
        writer.add_attachment("payload.exe", attachment)
    if password:
        writer.encrypt(password)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def pdf_with_hidden_action(action: str = "/JavaScript") -> bytes:
    """An /OpenAction whose name is written with a #-escape (/J#61vaScript), which PDF readers decode and a
    plain byte search does not see. Lengths are kept so the cross-reference table stays valid."""
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject(action),
        NameObject("/JS"): TextStringObject("alert0012"),
    })
    buf = io.BytesIO()
    writer.write(buf)
    raw = buf.getvalue()
    assert raw.count(action.encode()) == 1 and raw.count(b"alert0012") == 1
    escaped = action[:2] + "#" + f"{ord(action[2]):02x}" + action[3:]
    return raw.replace(action.encode(), escaped.encode()).replace(b"alert0012", b"alert00")


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def pdf_with_stream_bytes(data: bytes) -> bytes:
    """A one-page PDF whose page content stream holds `data` verbatim, as a scanned image's bytes would."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    stream = DecodedStreamObject()
    stream.set_data(data)
    page[NameObject("/Contents")] = writer._add_object(stream)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()
