from django.urls import path

from . import coverage_views, plans_views

urlpatterns = [
    path("records/", coverage_views.records, name="records"),
    path("records/export/", coverage_views.records_export, name="records_export"),
    path("records/exports/<uuid:job_id>/", coverage_views.records_export_job, name="records_export_job"),
    path("records/exports/<uuid:job_id>/download/", coverage_views.records_export_download,
         name="records_export_download"),
    path("plans/", plans_views.plans, name="plans"),
    path("plans/new/", plans_views.plan_new, name="plan_new"),
    path("plans/<int:plan_id>/years/new/", plans_views.plan_year_new, name="plan_year_new"),
    path("plan-years/<int:plan_year_id>/edit/", plans_views.plan_year_edit, name="plan_year_edit"),
]
