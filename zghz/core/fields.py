from typing import Any

from django.db import models
from django.db.models.lookups import Exact, IsNull

from .crypto import decrypt_str, encrypt_str


class _BlankOnlyExact(Exact):
    """`field=""` still finds blank values; any other value could never match randomised ciphertext, so
    asking for it is a programming error, not an empty result."""

    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", None) and not hasattr(self.rhs, "resolve_expression"):
            raise ValueError("encrypted columns cannot be searched: filter on the blind index column instead")
        return super().get_prep_lookup()


class EncryptedTextField(models.TextField):
    """A text column holding AES-GCM ciphertext; Python code sees the plain value.

    Pair it with a CharField(64) holding `blind_index(...)` for look-ups; the ciphertext itself is
    randomised and can be neither searched nor compared, so only `isnull` and `=""` are allowed.
    """

    description = "Encrypted text"

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "exact":
            return _BlankOnlyExact
        if lookup_name == "isnull":
            return IsNull
        return None

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt_str(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_str(str(value))
