"""Unit review events move onto core.workflow.TimelineEvent: 驳回原因 becomes `comment` (renamed, kept),
each entry gets its `action` (submit / approve / reject) and `decision` from the status it recorded, and
staff actors are linked to their accounts by username."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("units", "0001_initial"),
        ("accounts", "0002_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField(model_name="unitreviewevent", old_name="reason", new_name="comment"),
        migrations.AlterField(
            model_name="unitreviewevent", name="comment",
            field=models.CharField(blank=True, max_length=255, verbose_name="意见"),
        ),
        migrations.AddField(
            model_name="unitreviewevent", name="action",
            field=models.CharField(default="", max_length=32, verbose_name="操作"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="unitreviewevent", name="actor",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="操作人账号"),
        ),
        migrations.AddField(
            model_name="unitreviewevent", name="decision",
            field=models.CharField(blank=True, choices=[("approve", "通过"), ("reject", "驳回")], max_length=16,
                                   verbose_name="审核结果"),
        ),
        migrations.AddField(
            model_name="unitreviewevent", name="detail",
            field=models.JSONField(blank=True, default=dict, verbose_name="详情"),
        ),
        migrations.AlterField(
            model_name="unitreviewevent", name="actor_label",
            field=models.CharField(blank=True, max_length=64, verbose_name="操作人"),
        ),
        migrations.AlterField(
            model_name="unitreviewevent", name="at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="时间"),
        ),
        migrations.AlterField(
            model_name="unitreviewevent", name="status",
            field=models.CharField(choices=[("draft", "未提交"), ("pending", "待审核"), ("approved", "已通过"),
                                            ("rejected", "已驳回")], max_length=16, verbose_name="状态"),
        ),
    ]
