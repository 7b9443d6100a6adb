from django.urls import path

from . import settlement_views as views

urlpatterns = [
    path("settlements/", views.import_list, name="settlement_imports"),
    path("settlements/<int:import_id>/", views.import_detail, name="settlement_import_detail"),
    path("settlements/<int:import_id>/report.xlsx", views.import_report, name="settlement_import_report"),
]
