from django.urls import path

from . import views

app_name = "backoffice"
urlpatterns = [
    path("login/", views.login_view, name="login"),
]
