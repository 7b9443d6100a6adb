from django.urls import path

import zghz.claims.converters  # noqa: F401  (registers the `claim` converter)

from . import claim_views, records_views, views

app_name = "mobile"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("register/", views.register_view, name="register"),
    path("sms/code/", views.sms_code, name="sms_code"),
    path("logout/", views.logout_view, name="logout"),
    path("ticket/", views.ticket_view, name="ticket"),
    path("coverage/", records_views.coverage, name="coverage"),
    path("claims/", records_views.claims, name="claims"),
    path("claims/<claim:claim_number>/", claim_views.claim_detail, name="claim"),
    path("claims/<claim:claim_number>/upload/", claim_views.claim_upload, name="claim_upload"),
    path("c/<claim:claim_number>/", claim_views.short_link, name="short_link"),
]
