"""Fill the new timeline fields of existing UnitReviewEvent rows (a separate migration: on PostgreSQL the
data update cannot share a transaction with the index creation of the schema change)."""

from django.db import migrations


ACTIONS = {"pending": ("submit", ""), "approved": ("approve", "approve"), "rejected": ("reject", "reject")}


def fill_action_decision_and_actor(apps, schema_editor):
    Event = apps.get_model("units", "UnitReviewEvent")
    User = apps.get_model("accounts", "User")
    for status, (action, decision) in ACTIONS.items():
        Event.objects.filter(status=status).update(action=action, decision=decision)
    labels = set(Event.objects.exclude(actor_label="").values_list("actor_label", flat=True))
    for user_id, username in User.objects.filter(kind="staff", username__in=labels).values_list("id", "username"):
        Event.objects.filter(actor_label=username, actor__isnull=True).update(actor_id=user_id)


def clear(apps, schema_editor):
    apps.get_model("units", "UnitReviewEvent").objects.update(action="", decision="", actor=None)


class Migration(migrations.Migration):

    dependencies = [
        ("units", "0002_unit_review_event_timeline_fields"),
        ("accounts", "0002_initial"),
    ]

    operations = [
        migrations.RunPython(fill_action_decision_and_actor, clear),
    ]
