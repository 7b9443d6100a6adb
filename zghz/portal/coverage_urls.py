from django.urls import path

from . import coverage_views

urlpatterns = [
    path("records/", coverage_views.records, name="records"),
    path("records/export/", coverage_views.records_export, name="records_export"),
    path("records/exports/<uuid:job_id>/", coverage_views.records_export_job, name="records_export_job"),
    path("records/exports/<uuid:job_id>/download/", coverage_views.records_export_download,
         name="records_export_download"),
]
