"""The one checked getter for export jobs: only the user who asked for an export sees it (404 otherwise),
and a unit-portal job only while acting for the same unit."""

from typing import Any

from django.http import Http404

from zghz.accounts.models import User

from .models import ExportJob


def export_job_for_owner(user: User, job_id: Any, *, unit: Any = None) -> ExportJob:
    if not user.is_authenticated:
        raise Http404
    job = ExportJob.objects.filter(pk=job_id, owner_id=user.pk).first()
    if job is None:
        raise Http404
    if unit is not None and job.unit_id != unit.pk:
        raise Http404
    if unit is None and job.unit_id is not None:
        raise Http404  # a unit's export is fetched through the unit portal only
    return job


def export_file_for_owner(user: User, job_id: Any, *, unit: Any = None) -> ExportJob:
    """A finished, unexpired job with its file, or 404."""
    from django.utils import timezone

    job = export_job_for_owner(user, job_id, unit=unit)
    if job.status != ExportJob.Status.DONE or job.file_id is None or job.expires_at <= timezone.now():
        raise Http404
    return job
