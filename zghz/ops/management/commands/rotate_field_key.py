from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from zghz.core.crypto import DecryptError, keys
from zghz.ops.rotation import field_key_rotate, stored_files_rotate


class Command(BaseCommand):
    help = _("把所有加密字段改用 FIELD_ENCRYPTION_KEY 中的第一个密钥重新加密（可在系统运行时执行，中断后可继续）")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000, help=_("每批处理的行数"))
        parser.add_argument("--restart", action="store_true", help=_("忽略上次的进度，从头再检查一遍"))
        parser.add_argument("--max-batches", type=int, default=None, help=_("最多处理的批数（分段执行）"))
        parser.add_argument("--files", action="store_true",
                            help=_("同时把已存储的文件（证书、凭证、导出文件）改用新密钥重新加密"))

    def handle(self, *args: Any, batch_size: int, restart: bool, max_batches: int | None, files: bool,
               **options: Any) -> None:
        if batch_size < 1:
            raise CommandError(_("--batch-size 必须大于 0"))
        k = keys()
        old = [key_id for key_id in k.ciphers if key_id != k.current_id]
        self.stdout.write(_("目标密钥 {target}；仍可解密的旧密钥：{old}").format(
            target=k.current_id, old="、".join(old) or _("无")))
        try:
            result = field_key_rotate(batch_size=batch_size, restart=restart, max_batches=max_batches,
                                      say=self.stdout.write)
        except DecryptError as e:
            raise CommandError(_("无法解密：{error}").format(error=e)) from e
        self.stdout.write(_("本次重新加密 {n} 个值").format(n=result.values_rotated))
        if files:
            try:
                rotated, current = stored_files_rotate(say=self.stdout.write)
            except DecryptError as e:
                raise CommandError(_("无法解密文件：{error}").format(error=e)) from e
            self.stdout.write(_("文件：重新加密 {rotated} 个，{current} 个已使用新密钥").format(
                rotated=rotated, current=current))
        if not result.complete:
            self.stdout.write(_("已暂停；再次执行本命令将从中断处继续"))
        elif result.remaining:
            detail = "、".join(f"{label} {n}" for label, n in result.remaining.items())
            self.stdout.write(_("仍有使用旧密钥的值：{detail}。请确认所有进程已用新密钥重启，然后加 --restart 再执行一次").format(
                detail=detail))
        else:
            self.stdout.write(self.style.SUCCESS(_("轮换完成：所有加密字段都已使用密钥 {target}，可以从 FIELD_ENCRYPTION_KEY 中移除旧密钥").format(
                target=result.key_id)))
