import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


class Outbox:
    """The SMS outbox file, read the way the demo's 'phone' reads it."""

    def __init__(self, path: Path):
        self.path = path

    def lines(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines()]

    def code_for(self, phone: str) -> str:
        for msg in reversed(self.lines()):
            found = re.search(r"验证码为(\d+)，", msg["text"])
            if msg["phone"] == phone and found:
                return found.group(1)
        raise AssertionError(f"no code for {phone} in the outbox")


@pytest.fixture
def sms_outbox(tmp_path: Path, settings: Any) -> Outbox:
    settings.SMS_BACKEND = "outbox"
    settings.SMS_OUTBOX_PATH = str(tmp_path / "outbox" / "sms.jsonl")
    return Outbox(tmp_path / "outbox" / "sms.jsonl")


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Runs a call and then its on-commit callbacks (the SMS hand-off), as a real commit would."""

    def run(fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return run


@pytest.fixture
def clock(time_machine: Any) -> Iterator[Any]:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    time_machine.move_to(datetime(2026, 5, 11, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
    yield time_machine
