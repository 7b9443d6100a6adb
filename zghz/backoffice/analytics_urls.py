from django.urls import path

from . import analytics_views

urlpatterns = [
    path("stats/", analytics_views.stats, name="stats"),
    path("stats/turnaround/", analytics_views.stats_turnaround, name="stats_turnaround"),
    path("stats/diagnoses/", analytics_views.stats_diagnoses, name="stats_diagnoses"),
    path("stats/no-coverage/", analytics_views.stats_no_coverage, name="stats_no_coverage"),
    path("stats/export/", analytics_views.stats_export, name="stats_export"),
    path("stats/exports/<uuid:job_id>/", analytics_views.stats_export_job, name="stats_export_job"),
    path("stats/exports/<uuid:job_id>/download/", analytics_views.stats_export_download,
         name="stats_export_download"),
    path("stats/refresh/", analytics_views.stats_refresh, name="stats_refresh"),
]
