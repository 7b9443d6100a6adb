from django.urls import include, path

from . import views

app_name = "backoffice"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("totp/", views.totp_view, name="totp"),
    path("logout/", views.logout_view, name="logout"),
    path("", views.dashboard, name="dashboard"),
    path("units/", views.unit_list, name="units"),
    path("units/<int:unit_id>/", views.unit_detail, name="unit_detail"),
    path("units/<int:unit_id>/id-number/", views.unit_reveal_id, name="unit_reveal_id"),
    path("units/<int:unit_id>/certificate/", views.unit_certificate, name="unit_certificate"),
    path("units/<int:unit_id>/approve/", views.unit_approve, name="unit_approve"),
    path("units/<int:unit_id>/reject/", views.unit_reject, name="unit_reject"),
    path("units/<int:unit_id>/edit/", views.unit_edit, name="unit_edit"),
    path("audit/", views.audit_list, name="audit"),
    path("sms/", views.sms_list, name="sms"),
    path("districts/", views.district_list_view, name="districts"),
    path("districts/<int:district_id>/rename/", views.district_rename_view, name="district_rename"),
    path("districts/<int:district_id>/toggle/", views.district_toggle_view, name="district_toggle"),
    path("", include("zghz.backoffice.enrolment_urls")),
    path("", include("zghz.backoffice.coverage_urls")),
]
