import pytest
from django.test import Client
from django.urls import reverse


@pytest.mark.django_db
def test_home_routes_each_case_to_its_channel(client, office):
    """The home page sends each case to its channel, with the office's quota and hotline."""
    html = client.get("/").content.decode()
    assert reverse("web:choose_office") in html  # new / replacement: book online
    assert 'id="lost"' in html and "police report" in html
    assert 'id="priority"' in html and "20 people a day" in html
    assert 'id="emergency"' in html and "0812-0000-0000" in html
    assert 'href="tel:081200000000"' in html
    assert 'id="outreach"' in html
    assert "Kab. Karawang" in html and "Kab. Purwakarta" in html


@pytest.mark.django_db
def test_layout_is_accessible_and_self_contained(office):
    """Skip link, language attribute, one local stylesheet, no CDN, no script on the home page."""
    html = Client().get("/").content.decode()
    assert '<html lang="id">' in html
    assert 'href="#main"' in html and 'id="main"' in html
    assert '<link rel="stylesheet" href="/static/web/loket.css">' in html
    assert "http://" not in html.replace("http://testserver", "")
    assert "https://" not in html
    assert "<script" not in html


@pytest.mark.django_db
def test_language_switch_to_english_and_back(client, office):
    """The language button sets the language; the page comes back in it."""
    response = client.post(
        reverse("web:set_language"), {"language": "en", "next": "/"}, follow=True
    )
    assert '<html lang="en">' in response.content.decode()
    assert 'value="id"' in response.content.decode()  # the button to go back
    response = client.post(
        reverse("web:set_language"), {"language": "id", "next": "/"}, follow=True
    )
    assert '<html lang="id">' in response.content.decode()


@pytest.mark.django_db
def test_indonesian_by_default(client, office):
    """Without a language choice or browser preference, pages are in Bahasa Indonesia."""
    from django.test import Client

    assert '<html lang="id">' in Client().get("/").content.decode()


@pytest.mark.django_db
def test_unknown_page_is_404(client, office):
    assert client.get("/book/NOPE/").status_code == 404
    assert client.get("/book/KRW/priority/").status_code == 404  # a walk-in channel
    assert client.get("/book/KRW/online/2026-13-40/").status_code == 404


@pytest.mark.django_db
def test_pages_open_in_indonesian_whatever_the_browser_asks(office):
    """A phone set to English still gets Bahasa Indonesia until the person picks English."""
    html = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get("/").content.decode()
    assert '<html lang="id">' in html
