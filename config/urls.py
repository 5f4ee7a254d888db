from django.contrib import admin
from django.urls import include, path

from config.api import api
from loket.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/sync/", include("loket.sync.urls")),  # office nodes (office key), before the API
    path("api/v1/", api.urls),
    path("office/", include("loket.staff.urls")),
    path("office/", include("loket.queue.urls")),
    path("office/", include("loket.sync.page_urls")),  # the supervisor's flags
    path("outreach/", include("loket.outreach.urls")),
    path("reports/", include("loket.reports.urls")),
    path("release/", include("loket.web.release_urls")),
    path("audit/", include("loket.staff.audit_urls")),
    path("accounts/devices/", include("loket.web.devices_urls")),
    path("", include("loket.web.urls")),
]
