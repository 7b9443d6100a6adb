from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_numbers(apps, schema_editor):  # type: ignore[no-untyped-def]
    Coverage = apps.get_model("coverage", "Coverage")
    WorkOrder = apps.get_model("enrolment", "WorkOrder")
    Coverage.objects.update(
        work_order_number=Subquery(WorkOrder.objects.filter(pk=OuterRef("work_order_id")).values("number")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("coverage", "0003_no_overlapping_coverage"),
        ("enrolment", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="coverage",
            name="work_order_number",
            field=models.CharField(db_index=True, default="", max_length=20, verbose_name="工单编号"),
            preserve_default=False,
        ),
        migrations.RunPython(copy_numbers, migrations.RunPython.noop, elidable=True),
    ]
