from django.urls import include, path

urlpatterns = [
    path("staff/", include("zghz.backoffice.urls")),
    path("api/v1/", include("zghz.api.urls")),
    path("", include("zghz.ops.urls")),
    path("m/", include("zghz.mobile.urls")),
    path("", include("zghz.portal.urls")),
]

handler400 = "zghz.core.views.bad_request"
handler403 = "zghz.core.views.permission_denied"
handler404 = "zghz.core.views.page_not_found"
handler500 = "zghz.core.views.server_error"
