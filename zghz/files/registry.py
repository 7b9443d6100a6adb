"""What the files app registers with the shared apps: audit action labels (loaded when Django starts)."""

from django.utils.translation import gettext_lazy

from zghz.audit.registry import names_from, register_actions, register_object_names

from .models import StoredFile

register_actions({
    "file.download": gettext_lazy("下载文件"),
    "file.upload": gettext_lazy("上传文件"),
})

register_object_names("files.storedfile", names_from(StoredFile, "original_name"))
