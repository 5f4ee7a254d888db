"""Small things every page touches: the icon, the API docs' language."""

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_favicon_ico_leads_to_the_sites_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/web/favicon.svg"
    assert finders.find("web/favicon.svg")


def test_pages_name_their_icon(client, office):
    html = client.get(reverse("web:home")).content.decode()
    assert '<link rel="icon" href="/static/web/favicon.svg"' in html


def test_the_api_docs_page_has_a_language():
    html = Client().get("/api/v1/docs").content.decode()
    assert '<html lang="en">' in html and "swagger-ui" in html
