"""Fill the new timeline fields of existing WorkOrderEvent rows (a separate migration: on PostgreSQL the
data update cannot share a transaction with the index creation of the schema change)."""

from django.db import migrations


DECISIONS = {"approve": "approve", "payment_approve": "approve", "reject": "reject", "payment_reject": "reject"}


def fill_decision_and_actor(apps, schema_editor):
    Event = apps.get_model("enrolment", "WorkOrderEvent")
    User = apps.get_model("accounts", "User")
    for action, decision in DECISIONS.items():
        Event.objects.filter(action=action).update(decision=decision)
    labels = set(Event.objects.exclude(actor_label="").values_list("actor_label", flat=True))
    for user_id, username in User.objects.filter(kind="staff", username__in=labels).values_list("id", "username"):
        Event.objects.filter(actor_label=username, actor__isnull=True).update(actor_id=user_id)


def clear_decision(apps, schema_editor):
    apps.get_model("enrolment", "WorkOrderEvent").objects.update(decision="", actor=None)


class Migration(migrations.Migration):

    dependencies = [
        ("enrolment", "0003_work_order_event_timeline_fields"),
        ("accounts", "0002_initial"),
    ]

    operations = [
        migrations.RunPython(fill_decision_and_actor, clear_decision),
    ]
