from django.urls import include, path
from django.utils.translation import gettext_lazy

from . import views

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
    path("manage/", views.coming_soon, {"nav": "manage", "title": gettext_lazy("参保管理")}, name="manage"),
    path("", include("zghz.portal.enrolment_urls")),
    path("", include("zghz.portal.coverage_urls")),
    path("", include("zghz.portal.claims_urls")),
]
