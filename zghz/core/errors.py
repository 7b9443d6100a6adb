from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise


class DomainError(Exception):
    """A business rule said no. `message` is shown to the user as is (Chinese); `code` is for the API."""

    def __init__(self, message: "str | StrPromise", *, code: str = "invalid", field: str | None = None,
                 status: int = 400):
        message = str(message)
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        self.status = status


class AlreadyProcessed(DomainError):
    """The object moved on before this request arrived (a double click, or a colleague was quicker)."""

    def __init__(self, message: "str | StrPromise | None" = None):
        super().__init__(message if message is not None else _("该记录已被处理，请刷新页面查看最新状态"), code="already_processed", status=409)
