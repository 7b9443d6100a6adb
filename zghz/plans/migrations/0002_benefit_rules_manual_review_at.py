"""Benefit rules JSON: hospital.manual_review_above becomes hospital.manual_review_at (SPEC §6.1: a stay
whose amount is at or above it waits for review), and critical_illness gets its explicit icd_exclusions
list (empty for existing rows: their prefix lists were written without the excluded categories)."""

from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    PlanYear = apps.get_model("plans", "PlanYear")
    for plan_year in PlanYear.objects.all().only("pk", "benefit_rules"):
        rules = plan_year.benefit_rules
        if not isinstance(rules, dict):
            continue
        hospital = rules.get("hospital")
        if isinstance(hospital, dict) and "manual_review_above" in hospital:
            value = hospital.pop("manual_review_above")
            hospital.setdefault("manual_review_at", value)
        ci = rules.get("critical_illness")
        if isinstance(ci, dict):
            ci.setdefault("icd_exclusions", [])
        PlanYear.objects.filter(pk=plan_year.pk).update(benefit_rules=rules)


def backwards(apps: Any, schema_editor: Any) -> None:
    PlanYear = apps.get_model("plans", "PlanYear")
    for plan_year in PlanYear.objects.all().only("pk", "benefit_rules"):
        rules = plan_year.benefit_rules
        if not isinstance(rules, dict):
            continue
        hospital = rules.get("hospital")
        if isinstance(hospital, dict) and "manual_review_at" in hospital:
            hospital["manual_review_above"] = hospital.pop("manual_review_at")
        ci = rules.get("critical_illness")
        if isinstance(ci, dict) and "icd_exclusions" in ci:
            # The old shape has no exclusions: drop the excluded codes from the prefix list instead.
            excluded = set(ci.pop("icd_exclusions") or [])
            ci["icd_prefixes"] = [c for c in ci.get("icd_prefixes") or [] if c not in excluded]
        PlanYear.objects.filter(pk=plan_year.pk).update(benefit_rules=rules)


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
