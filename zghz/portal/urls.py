from django.urls import include, path

from . import renewal_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("register/", views.register_view, name="register"),
    path("sms/code/", views.sms_code, name="sms_code"),
    path("choose-unit/", views.choose_unit, name="choose_unit"),
    path("logout/", views.logout_view, name="logout"),
    path("unit/", views.profile, name="profile"),
    path("unit/pledge/open/", views.pledge_open, name="pledge_open"),
    path("unit/pledge/confirm/", views.pledge_confirm, name="pledge_confirm"),
    path("unit/certificate/", views.certificate, name="certificate"),
    path("manage/", renewal_views.renewals, name="manage"),
    path("manage/export/", renewal_views.renewals_export, name="renewals_export"),
    path("manage/renew/", renewal_views.renewals_work_order, name="renewals_work_order"),
    path("", include("zghz.portal.enrolment_urls")),
    path("", include("zghz.portal.coverage_urls")),
    path("", include("zghz.portal.claims_urls")),
]
