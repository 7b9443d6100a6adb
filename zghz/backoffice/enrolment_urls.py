from django.urls import path

from . import enrolment_views as views

urlpatterns = [
    path("work-orders/", views.work_order_queue, name="work_orders"),
    path("work-orders/<str:number>/", views.work_order_detail, name="work_order_detail"),
    path("work-orders/<str:number>/review/", views.work_order_review_view, name="work_order_review"),
    path("work-orders/<str:number>/payment-review/", views.work_order_payment_review_view,
         name="work_order_payment_review"),
    path("work-orders/<str:number>/voucher/", views.work_order_file, {"kind": "voucher"}, name="work_order_voucher"),
    path("work-orders/<str:number>/stamped-roster/", views.work_order_file, {"kind": "roster"},
         name="work_order_stamped_roster"),
]
