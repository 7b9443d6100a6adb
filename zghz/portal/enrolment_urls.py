from django.urls import path

from . import enrolment_views as views

# 参保申请 (manual 三). Every page below is reached through the unit's own work order getter.
urlpatterns = [
    path("apply/", views.work_order_list, name="apply"),
    path("apply/new/", views.work_order_new, name="apply_new"),
    path("apply/template/", views.template_download, name="apply_template"),
    path("apply/<str:number>/", views.work_order_detail, name="apply_detail"),
    path("apply/<str:number>/upload/", views.work_order_upload_view, name="apply_upload"),
    path("apply/<str:number>/add/", views.work_order_add_person_view, name="apply_add_person"),
    path("apply/<str:number>/ineligible/delete/", views.work_order_delete_lines_view, name="apply_delete_lines"),
    path("apply/<str:number>/people/delete/", views.work_order_delete_people_view, name="apply_delete_people"),
    path("apply/<str:number>/ineligible/export/", views.work_order_export_view, name="apply_export_ineligible"),
    path("apply/<str:number>/submit/", views.work_order_submit_view, name="apply_submit"),
    path("apply/<str:number>/pay/", views.work_order_pay_view, name="apply_pay"),
    path("apply/<str:number>/delete/", views.work_order_delete_view, name="apply_delete"),
    path("apply/<str:number>/voucher/", views.work_order_file, {"kind": "voucher"}, name="apply_voucher"),
    path("apply/<str:number>/stamped-roster/", views.work_order_file, {"kind": "roster"}, name="apply_stamped_roster"),
]
