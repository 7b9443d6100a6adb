from django.urls import include, path

from . import auth_views, dashboard_views, district_views, host_app_views, log_views, renewal_views, unit_views

app_name = "backoffice"
urlpatterns = [
    path("login/", auth_views.login_view, name="login"),
    path("totp/", auth_views.totp_view, name="totp"),
    path("logout/", auth_views.logout_view, name="logout"),
    path("", dashboard_views.dashboard, name="dashboard"),
    path("units/", unit_views.unit_list, name="units"),
    path("units/<int:unit_id>/", unit_views.unit_detail, name="unit_detail"),
    path("units/<int:unit_id>/id-number/", unit_views.unit_reveal_id, name="unit_reveal_id"),
    path("units/<int:unit_id>/certificate/", unit_views.unit_certificate, name="unit_certificate"),
    path("units/<int:unit_id>/approve/", unit_views.unit_approve, name="unit_approve"),
    path("units/<int:unit_id>/reject/", unit_views.unit_reject, name="unit_reject"),
    path("units/<int:unit_id>/edit/", unit_views.unit_edit, name="unit_edit"),
    path("renewals/", renewal_views.renewals, name="renewals"),
    path("audit/", log_views.audit_list, name="audit"),
    path("sms/", log_views.sms_list, name="sms"),
    path("districts/", district_views.district_list_view, name="districts"),
    path("districts/<int:district_id>/rename/", district_views.district_rename_view, name="district_rename"),
    path("districts/<int:district_id>/toggle/", district_views.district_toggle_view, name="district_toggle"),
    path("host-apps/", host_app_views.host_app_list_view, name="host_apps"),
    path("host-apps/<int:host_app_id>/rotate/", host_app_views.host_app_rotate_view, name="host_app_rotate"),
    path("host-apps/<int:host_app_id>/toggle/", host_app_views.host_app_toggle_view, name="host_app_toggle"),
    path("", include("zghz.backoffice.enrolment_urls")),
    path("", include("zghz.backoffice.coverage_urls")),
    path("", include("zghz.backoffice.payout_urls")),
    path("", include("zghz.backoffice.claims_urls")),
    path("", include("zghz.backoffice.settlement_urls")),
    path("", include("zghz.backoffice.golive_urls")),
    path("", include("zghz.backoffice.analytics_urls")),
]
