from django.urls import path

from . import views

# Replaced by the enrolment pages (参保申请, 参保记录).
urlpatterns = [
    path("apply/", views.coming_soon, {"nav": "apply", "title": "参保申请"}, name="apply"),
    path("records/", views.coming_soon, {"nav": "records", "title": "参保记录"}, name="records"),
]
