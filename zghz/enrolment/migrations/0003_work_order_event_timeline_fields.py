"""Work-order events move onto core.workflow.TimelineEvent: 驳回原因 becomes `comment` (renamed, kept),
decisions are spelled out in `decision`, staff actors are linked to their accounts by username."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("enrolment", "0002_line_fingerprint_and_order_counts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField(model_name="workorderevent", old_name="reason", new_name="comment"),
        migrations.AlterField(
            model_name="workorderevent", name="comment",
            field=models.CharField(blank=True, max_length=255, verbose_name="意见"),
        ),
        migrations.AddField(
            model_name="workorderevent", name="actor",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="操作人账号"),
        ),
        migrations.AddField(
            model_name="workorderevent", name="decision",
            field=models.CharField(blank=True, choices=[("approve", "通过"), ("reject", "驳回")], max_length=16,
                                   verbose_name="审核结果"),
        ),
        migrations.AddField(
            model_name="workorderevent", name="detail",
            field=models.JSONField(blank=True, default=dict, verbose_name="详情"),
        ),
        migrations.AlterField(
            model_name="workorderevent", name="action",
            field=models.CharField(max_length=32, verbose_name="操作"),
        ),
        migrations.AlterField(
            model_name="workorderevent", name="actor_label",
            field=models.CharField(blank=True, max_length=64, verbose_name="操作人"),
        ),
        migrations.AlterField(
            model_name="workorderevent", name="at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="时间"),
        ),
        migrations.AlterField(
            model_name="workorderevent", name="status",
            field=models.CharField(choices=[("draft", "暂存"), ("pending", "待审核"), ("awaiting_payment", "待付款"),
                                            ("payment_review", "付款待审核"), ("completed", "已完成")],
                                   max_length=20, verbose_name="状态"),
        ),
    ]
