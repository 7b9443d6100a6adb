from django.urls import path

from . import enrolment_views as views

urlpatterns = [
    path("work-orders/", views.work_order_queue, name="work_orders"),
    path("work-orders/<str:number>/", views.work_order_detail, name="work_order_detail"),
    path("work-orders/<str:number>/review/", views.work_order_review_view, name="work_order_review"),
    path("work-orders/<str:number>/payment-review/", views.work_order_payment_review_view,
         name="work_order_payment_review"),
    path("work-orders/<str:number>/files/<str:kind>/", views.work_order_file, name="work_order_file"),
]
