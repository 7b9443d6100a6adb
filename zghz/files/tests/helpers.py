"""Builders for the files an upload test needs: honest ones and hostile ones."""

import io
import struct
import zlib
from collections.abc import Sequence
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


# --- xls -----------------------------------------------------------------------------------------


def _biff_record(rtype: int, data: bytes) -> bytes:
    return struct.pack("<HH", rtype, len(data)) + data


def make_xls(rows: Sequence[Sequence[object]]) -> bytes:
    """A minimal BIFF8 workbook (one sheet, shared strings, NUMBER cells) in a compound file: enough for
    calamine and xlrd, and no xlwt needed. Numbers are stored as doubles, as in Excel."""

    def bof(dt: int) -> bytes:
        return _biff_record(0x0809, struct.pack("<HHHHII", 0x0600, dt, 0x0DBB, 0x07CC, 0, 6))

    strings: list[str] = []
    cells = b""
    for r, values in enumerate(rows):
        for c, v in enumerate(values):
            if v is None or v == "":
                continue
            if isinstance(v, str):
                if v not in strings:
                    strings.append(v)
                cells += _biff_record(0x00FD, struct.pack("<HHHI", r, c, 15, strings.index(v)))
            else:
                cells += _biff_record(0x0203, struct.pack("<HHHd", r, c, 15, float(v)))  # type: ignore[arg-type]
    sst = struct.pack("<II", len(strings), len(strings)) + b"".join(
        struct.pack("<HB", len(s), 1) + s.encode("utf-16-le") for s in strings
    )
    xf = _biff_record(0x00E0, struct.pack("<HHHBBBBIIH", 0, 0, 0xFFF5, 0x20, 0, 0, 0, 0, 0, 0x20C0))

    def workbook_globals(sheet_pos: int) -> bytes:
        sheet_rec = struct.pack("<IBBBB", sheet_pos, 0, 0, 6, 0) + b"Sheet1"
        return (
            bof(0x0005)
            + _biff_record(0x0042, struct.pack("<H", 1200))
            + xf * 16
            + _biff_record(0x0085, sheet_rec)
            + _biff_record(0x00FC, sst)
            + _biff_record(0x000A, b"")
        )

    width = max(len(r) for r in rows)
    sheet = (
        bof(0x0010)
        + _biff_record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0))
        + cells
        + _biff_record(0x000A, b"")
    )
    stream = workbook_globals(len(workbook_globals(0))) + sheet
    # Compound file: header, one FAT sector, one directory sector, then the stream (>= 4096 bytes, so
    # it lives in normal sectors and no mini-stream is needed).
    stream += b"\0" * (max(4096, -(-len(stream) // 512) * 512) - len(stream))
    n = len(stream) // 512
    end, free, nostream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFF
    fat = [0xFFFFFFFD, end] + [3 + i for i in range(n - 1)] + [end]
    fat += [free] * (128 - len(fat))
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<9I", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<109I", 0, *([free] * 108))
    )

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0" if name else b""
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBB", len(raw), kind, 1 if name else 0)
            + struct.pack("<III", nostream, nostream, child)
            + b"\0" * 36
            + struct.pack("<IQ", start, size)
        )

    directory = (
        entry("Root Entry", 5, 1, end, 0)
        + entry("Workbook", 2, nostream, 2, len(stream))
        + entry("", 0, nostream, 0, 0) * 2
    )
    return header + struct.pack("<128I", *fat) + directory + stream
