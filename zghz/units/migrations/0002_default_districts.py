from django.db import migrations

DISTRICTS = ["梁溪区", "锡山区", "惠山区", "滨湖区", "新吴区", "江阴市", "宜兴市", "经开区", "市级机关", "产业工会"]


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    District = apps.get_model("units", "District")
    for i, name in enumerate(DISTRICTS):
        District.objects.get_or_create(name=name, defaults={"sort_order": i})


class Migration(migrations.Migration):
    dependencies = [("units", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
