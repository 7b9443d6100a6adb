"""What the ops app registers with the shared apps: audit action labels (loaded when Django starts)."""

from django.utils.translation import gettext_lazy

from zghz.audit.registry import register_actions

register_actions({
    "field_key.rotate_start": gettext_lazy("开始轮换字段加密密钥"),
    "field_key.rotate": gettext_lazy("轮换字段加密密钥"),
    "field_key.rotate_files": gettext_lazy("用新密钥重新加密文件"),
})
