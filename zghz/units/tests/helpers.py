import io
import json
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def code_from_outbox(phone: str) -> str:
    """The latest verification code sent to `phone`, read from the SMS outbox file as a person would."""
    lines = Path(settings.SMS_OUTBOX_PATH).read_text(encoding="utf-8").splitlines()
    for line in reversed(lines):
        msg = json.loads(line)
        if msg["phone"] == phone and "验证码" in msg["text"]:
            return "".join(ch for ch in msg["text"].split("验证码为", 1)[1][:6])
    raise AssertionError(f"no code for {phone} in the outbox")


def png_upload(name: str = "cert.png", size: tuple[int, int] = (40, 30)) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format="PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")
