import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse


class StaffIdleTimeoutMiddleware:
    """Ends a staff session after STAFF_IDLE_SECONDS without a request (30 minutes by default)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.kind == "staff":
            now = int(time.time())
            last = request.session.get("staff_last_seen")
            if last is not None and now - int(last) > settings.STAFF_IDLE_SECONDS:
                logout(request)
                request.session["staff_timed_out"] = True
            else:
                request.session["staff_last_seen"] = now
        return self.get_response(request)
