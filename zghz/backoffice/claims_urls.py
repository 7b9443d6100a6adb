from django.urls import path

import zghz.claims.converters  # noqa: F401  (registers the `claim` converter)

from . import claims_views as views

urlpatterns = [
    path("claims/", views.claim_queue, name="claims"),
    path("claims/accident/new/", views.accident_new, name="claim_accident_new"),
    path("claims/<claim:claim_number>/", views.claim_detail, name="claim_detail"),
    path("claims/<claim:claim_number>/decide/", views.claim_decide_view, name="claim_decide"),
    path("claims/<claim:claim_number>/upload/", views.claim_upload_view, name="claim_upload"),
    path("claims/<claim:claim_number>/documents/<int:document_id>/", views.claim_document_view,
         name="claim_document"),
]
