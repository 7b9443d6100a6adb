from django.db import models
from django.utils.translation import gettext_lazy as _


class RenewalReminder(models.Model):
    """The monthly 续保提醒 SMS of one unit (SPEC §7): at most one row per unit and month.

    The row is inserted in the same transaction that queues the SMS (idempotency key
    `renewal:<unit>:<YYYY-MM>`), so a retried, restarted, double-scheduled or concurrent run finds it and
    sends nothing twice, and a run killed half-way leaves exactly the units it had finished.
    """

    unit = models.ForeignKey("units.Unit", verbose_name=_("参保单位"), on_delete=models.PROTECT,
                             related_name="+")
    month = models.DateField(_("月份"))  # the 1st of the month
    expiring_count = models.PositiveIntegerField(_("临期人数"), default=0)
    sms_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-month", "unit_id"]
        verbose_name = _("续保提醒短信")
        constraints = [models.UniqueConstraint(fields=["unit", "month"], name="renewal_reminder_one_per_unit_month")]


class RenewalJobRun(models.Model):
    """One record per month of the reminder job: when it first started, how often it ran, when a run last
    went through every unit (`finished_at`), and how many units it reminded in all."""

    month = models.DateField(_("月份"), unique=True)
    first_started_at = models.DateTimeField(_("首次开始时间"), auto_now_add=True)
    last_started_at = models.DateTimeField(_("最近开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    runs = models.PositiveIntegerField(_("运行次数"), default=0)
    units_reminded = models.PositiveIntegerField(_("已提醒单位数"), default=0)

    class Meta:
        ordering = ["-month"]
        verbose_name = _("续保提醒任务")
