"""Words people read: a future day is not "today", holidays by their Indonesian names, closed
days say why, admin headings in the admin's language."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils.functional import Promise

from tests.web.test_waitlist_pages import JOIN_URL, full_day  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def indonesian(client):
    client.post(reverse("web:set_language"), {"language": "id"})
    return client


def test_the_waiting_list_of_a_future_day_does_not_say_today(web, full_day):  # noqa: F811
    """Thursday 3 December seen on Tuesday: "that day is full", never "today is full"."""
    html = indonesian(web).get(JOIN_URL).content.decode()
    assert "Hari ini penuh" not in html and "pada hari ini" not in html
    assert "Hari tersebut sudah penuh" in html


def test_a_holiday_is_named_in_indonesian_on_the_day_page(office):
    client = indonesian(Client())
    html = client.get(reverse("web:day", args=["KRW", "online", "2026-12-25"])).content.decode()
    assert "Kantor tutup pada hari tersebut: Hari Raya Natal." in html
    assert "Christmas" not in html


def test_a_holiday_is_named_in_english_for_english_readers(client, office):
    html = client.get(reverse("web:day", args=["KRW", "online", "2026-12-25"])).content.decode()
    assert "The office is closed on this day: Christmas Day." in html


def test_the_calendar_lists_the_closed_days_by_name(office):
    client = indonesian(Client())
    html = client.get(
        reverse("web:calendar", args=["KRW", "online"]), {"month": "2026-12"}
    ).content.decode()
    assert "Kantor tutup pada" in html and "Hari Raya Natal" in html
    assert "Cuti Bersama" in html  # 24 December


def test_admin_headings_are_translated(office):
    admin = get_user_model().objects.create_superuser("root@contoh.id", "rahasia-admin-1")
    client = indonesian(Client())
    client.force_login(admin)
    html = client.get("/admin/").content.decode()
    for english in (">Accounts<", ">Axes<", ">Core<", ">Audit events<", ">Ticket events<"):
        assert english not in html, english
    for indonesian_heading in ("Akun dan orang", "Penguncian log masuk", "Jejak audit"):
        assert indonesian_heading in html


def test_every_admin_model_and_app_has_a_translatable_name():
    from django.contrib import admin

    for model in admin.site._registry:
        if model._meta.app_label in {"otp_totp", "otp_static"}:
            continue  # django-otp's own device admin: its names are the library's (English)
        options = model._meta.original_attrs
        assert "verbose_name" in options and "verbose_name_plural" in options, model
        app = model._meta.app_config
        assert isinstance(app.verbose_name, Promise), app.label  # gettext_lazy, translated
