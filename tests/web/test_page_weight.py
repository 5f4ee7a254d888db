import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.web.test_booking_journey import choose, details_url

LIMIT = 200 * 1024
ASSET = re.compile(r'<(?:link[^>]+rel="stylesheet"[^>]+href|script[^>]+src)="([^"]+)"')


def first_load_bytes(html: str) -> int:
    """The page plus every stylesheet and script it references, served by the project."""
    total = len(html.encode())
    for url in set(ASSET.findall(html)):
        assert url.startswith("/static/"), f"asset not served by the project: {url}"
        path = finders.find(url.removeprefix("/static/"))
        assert path, url
        with open(path, "rb") as f:
            total += len(f.read())
    return total


@pytest.mark.django_db
def test_no_page_of_the_journey_exceeds_200_kb(web, person, held):
    """Home to proof, each page with its CSS and JS stays under 200 KB on first load."""
    from tests.web.conftest import pay

    choose(web, person, applicant=person.pk)
    urls = [
        reverse("web:home"),
        reverse("web:choose_office"),
        reverse("web:choose_channel", args=["KRW"]),
        reverse("web:calendar", args=["KRW", "online"]),
        reverse("web:day", args=["KRW", "online", "2026-12-03"]),
        details_url(),
        reverse("web:check"),
        reverse("web:pay", args=[held.code]),
        reverse("web:my_bookings"),
        reverse("web:applicants"),
        reverse("web:applicant_add"),
    ]
    sizes = {}
    for url in urls:
        response = web.get(url)
        assert response.status_code == 200, url
        sizes[url] = first_load_bytes(response.content.decode())
    pay(held)
    proof = reverse("web:proof", args=[held.code])
    sizes[proof] = first_load_bytes(web.get(proof).content.decode())
    assert sizes[reverse("web:pay", args=[held.code])] > 40_000  # htmx is counted
    assert max(sizes.values()) < LIMIT, sizes


@pytest.mark.django_db
def test_anonymous_pages_stay_small(client, office):
    for name in ("web:register", "web:login", "web:verify", "web:password_reset"):
        response = client.get(reverse(name))
        assert first_load_bytes(response.content.decode()) < LIMIT
