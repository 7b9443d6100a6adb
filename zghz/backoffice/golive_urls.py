from django.urls import path

from . import golive_views as views

urlpatterns = [
    path("coverage-imports/", views.import_list, name="coverage_imports"),
    path("coverage-imports/<int:coverage_import_id>/", views.import_detail, name="coverage_import_detail"),
    path("coverage-imports/<int:coverage_import_id>/report.xlsx", views.import_report, name="coverage_import_report"),
]
