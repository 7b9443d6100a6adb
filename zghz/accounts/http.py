"""The request type of views that only run for a logged-in user (behind `staff_view`, `handler_view`,
or after `is_staff` / `is_handler`): `request.user` is a `User`, not "a user or AnonymousUser"."""

from django.http import HttpRequest

from .models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User
