from django.urls import path

from . import views

# Replaced by the 参保记录 pages.
urlpatterns = [
    path("records/", views.coming_soon, {"nav": "records", "title": "参保记录"}, name="records"),
]
