import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from zghz.audit.services import record

from .policy import is_staff

LAST_SEEN = "staff_last_seen"
# Set in the fresh session after an idle logout so the login page can say why.
TIMED_OUT = "staff_timed_out"
TOUCH_EVERY = 60  # seconds


def mark_staff_active(request: HttpRequest) -> None:
    """Start the idle clock; called when a staff login completes."""
    request.session[LAST_SEEN] = int(time.time())


class StaffIdleTimeoutMiddleware:
    """Ends a staff session after STAFF_IDLE_SECONDS without a request (30 minutes by default)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if is_staff(user):
            now = int(time.time())
            last = request.session.get(LAST_SEEN)
            if last is not None and now - int(last) > settings.STAFF_IDLE_SECONDS:
                record(action="logout", actor=user, obj=user, portal="staff", reason="idle")
                logout(request)
                request.session[TIMED_OUT] = True
            elif last is None or now - int(last) >= TOUCH_EVERY:
                # Written at most once a minute: every write is an UPDATE of the session row and a new
                # cookie, on every page a clerk opens. The clock may run up to a minute early, never late.
                request.session[LAST_SEEN] = now
        return self.get_response(request)
