from django.urls import path

from . import payout_views as views

urlpatterns = [
    path("payouts/", views.batch_list, name="payout_batches"),
    path("payouts/new/", views.batch_create, name="payout_batch_create"),
    path("payouts/jobs/<int:batch_job_id>/", views.batch_job, name="payout_batch_job"),
    path("payouts/<str:batch_number>/", views.batch_detail, name="payout_batch_detail"),
    path("payouts/<str:batch_number>/export/", views.batch_export, name="payout_batch_export"),
    path("payouts/<str:batch_number>/return/", views.batch_return, name="payout_batch_return"),
    path("payouts/<str:batch_number>/mark/", views.batch_mark, name="payout_batch_mark"),
    path("recoveries/", views.recovery_list, name="payout_recoveries"),
    path("recoveries/<int:recovery_id>/resolve/", views.recovery_resolve_view, name="payout_recovery_resolve"),
]
