"""What the payouts app registers with the shared apps: audit action labels (loaded when Django starts)."""

from django.utils.translation import gettext_lazy

from zghz.audit.registry import names_from, register_actions, register_object_names
from zghz.core.jobs import register_job

from .models import PayoutBatch, PayoutReturn

register_actions({
    "payout_batch.request": gettext_lazy("提交生成支付批次"),
    "payout_batch.create": gettext_lazy("生成支付批次"),
    "payout_batch.export": gettext_lazy("导出银行文件"),
    "payout_return.upload": gettext_lazy("上传回盘"),
    "payout_return.import": gettext_lazy("导入回盘"),
    "payout_line.mark": gettext_lazy("标记支付结果"),
    "recovery.resolve": gettext_lazy("处理待追回"),
})

register_job("payouts.PayoutBatchJob", task="zghz.payouts.tasks.payout_batch_run", created_field="created_at")
register_job("payouts.PayoutReturn", task="zghz.payouts.tasks.payout_return_run", created_field="uploaded_at")
register_object_names("payouts.payoutbatch", names_from(PayoutBatch, "number"))
register_object_names("payouts.payoutreturn", names_from(PayoutReturn, "file_name"))
