from django.urls import path

from loket.core import audit_views

app_name = "core"

urlpatterns = [
    path("", audit_views.audit_search, name="audit_search"),
]
