from django.urls import path

import zghz.claims.converters  # noqa: F401  (registers the `claim` converter)

from . import claims_views

urlpatterns = [
    path("claims/", claims_views.claims, name="claims"),
    path("claims/export/", claims_views.claims_export, name="claims_export"),
    path("claims/exports/<uuid:job_id>/", claims_views.claims_export_job, name="claims_export_job"),
    path("claims/exports/<uuid:job_id>/download/", claims_views.claims_export_download,
         name="claims_export_download"),
    path("claims/stats/", claims_views.claims_stats, name="claims_stats"),
    path("claims/stats/export/", claims_views.claims_stats_export, name="claims_stats_export"),
    path("claims/stats/exports/<uuid:job_id>/", claims_views.claims_stats_export_job, name="claims_stats_export_job"),
    path("claims/<claim:claim_number>/", claims_views.claim_detail, name="claim_detail"),
]
