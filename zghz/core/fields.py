from typing import Any

from django.db import models

from .crypto import decrypt_str, encrypt_str


class EncryptedTextField(models.TextField):
    """A text column holding AES-GCM ciphertext; Python code sees the plain value.

    Pair it with a CharField(64) holding `blind_index(...)` for look-ups; the ciphertext itself is
    randomised and can be neither searched nor compared.
    """

    description = "Encrypted text"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt_str(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_str(str(value))
