"""Shared set-up for the browser tests: Debian's Chromium, screenshots into ./screenshots/."""

from pathlib import Path

from django.conf import settings

SCREENSHOTS = Path(settings.BASE_DIR) / "screenshots"


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def worker_later(monkeypatch, task, seconds: float = 1.5) -> None:  # type: ignore[no-untyped-def]
    """`task.delay(pk)` hands the job to a worker that starts `seconds` later (a thread standing in for a
    Celery worker), so the page shows its progress before the result."""
    import threading

    from django.db import connections

    def later(*args):  # type: ignore[no-untyped-def]
        def run() -> None:
            try:
                task(*args)
            finally:
                connections.close_all()

        timer = threading.Timer(seconds, run)
        timer.daemon = True
        timer.start()

    monkeypatch.setattr(task, "delay", later)
