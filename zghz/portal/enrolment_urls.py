from django.urls import path

from . import views

# Replaced by the 参保申请 pages.
urlpatterns = [
    path("apply/", views.coming_soon, {"nav": "apply", "title": "参保申请"}, name="apply"),
]
