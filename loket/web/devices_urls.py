from django.urls import path

from loket.web.views import devices as views

app_name = "accounts"

urlpatterns = [
    path("", views.devices, name="devices"),
    path("<int:token_id>/revoke/", views.revoke_device, name="revoke_device"),
    path("revoke-all/", views.revoke_all_devices, name="revoke_all_devices"),
]
