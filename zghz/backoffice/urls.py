from django.urls import include, path

from . import views

app_name = "backoffice"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("", include("zghz.backoffice.enrolment_urls")),
    path("", include("zghz.backoffice.coverage_urls")),
]
