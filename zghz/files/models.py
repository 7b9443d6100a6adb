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
