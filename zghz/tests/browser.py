"""Shared set-up for the browser tests: Debian's Chromium, screenshots into ./screenshots/."""

from pathlib import Path

from django.conf import settings

SCREENSHOTS = Path(settings.BASE_DIR) / "screenshots"


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
