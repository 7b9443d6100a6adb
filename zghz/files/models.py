import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class StoredFile(models.Model):
    """An uploaded document after the pipeline: checked, re-encoded, encrypted, stored under a random name.

    The storage name carries no meaning and no extension, and the bytes on disk (or in the bucket) are
    AES-GCM ciphertext, so a leaked bucket listing or backup reveals nothing. Files are served only
    through views that first fetch the owning object with its permission-checked getter.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    purpose = models.CharField(_("用途"), max_length=32)
    original_name = models.CharField(_("文件名"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=255, unique=True)
    unit_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("文件")

    def __str__(self) -> str:
        return self.original_name

    @property
    def stored_ext(self) -> str:
        """The extension of what is stored (re-encoding may have changed the type)."""
        return _EXTENSIONS.get(self.content_type, "")

    @property
    def converted_to_jpeg(self) -> bool:
        """The user uploaded another image type (png) that was re-encoded as JPEG: say so next to the name."""
        ext = self.original_name.rsplit(".", 1)[-1].lower() if "." in self.original_name else ""
        return self.content_type == "image/jpeg" and ext not in {"jpg", "jpeg"}

    @property
    def download_name(self) -> str:
        """The uploaded name with the extension of the stored bytes, so the saved file opens as what it is."""
        base = self.original_name.rsplit(".", 1)[0] if "." in self.original_name else self.original_name
        return f"{base}.{self.stored_ext}" if self.stored_ext else self.original_name


_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf",
               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
               "application/vnd.ms-excel": "xls"}
