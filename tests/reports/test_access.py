"""Who sees the reports: the supervisors and office administrators of the office reported on
(superusers everywhere); other staff and other offices' supervisors are refused."""

import pytest
from django.conf import settings

from loket.accounts.models import User
from loket.accounts.services import issue_token
from loket.core import clock
from loket.offices.models import Office
from loket.queue.models import StaffRole
from loket.queue.staff_roles import grant_role

pytestmark = pytest.mark.django_db

PASSWORD = "rahasia-staf-2026"
PAGES = ("/reports/", "/reports/monthly/", "/reports/planner/", "/reports/export/all.xlsx")


def make_staff(email, office, *roles):
    user = User.objects.create_user(email, PASSWORD, is_staff=True, email_verified_at=clock.now())
    for role in roles:
        grant_role(user=user, office=office, role=role)
    return user


@pytest.fixture
def bandung(office):
    return Office.objects.create(code="BDG", name="Kantor Imigrasi Bandung")


@pytest.mark.parametrize("role", [StaffRole.SUPERVISOR, StaffRole.OFFICE_ADMIN])
def test_supervisors_and_office_admins_see_their_office(client, office, role):
    client.force_login(make_staff("kepala@contoh.id", office, role))
    for url in PAGES:
        assert client.get(url, {"office": "KRW"}).status_code == 200, url


@pytest.mark.parametrize(
    "role",
    [StaffRole.DESK, StaffRole.COUNTER, StaffRole.HOTLINE, StaffRole.OUTREACH, StaffRole.KIOSK],
)
def test_other_roles_are_refused(client, office, role):
    """An is_staff account without a report role gets 403 on every report page."""
    client.force_login(make_staff("petugas@contoh.id", office, role))
    for url in PAGES:
        assert client.get(url).status_code == 403, url


def test_another_office_s_supervisor_sees_only_their_own(client, office, bandung):
    """The Bandung supervisor opens Bandung's figures by default and is refused Karawang's."""
    client.force_login(make_staff("spv-bdg@contoh.id", bandung, StaffRole.SUPERVISOR))
    page = client.get("/reports/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Kantor Imigrasi Bandung" in body and 'value="KRW"' not in body
    for url in ("/reports/", "/reports/monthly/", "/reports/export/all.xlsx"):
        assert client.get(url, {"office": "KRW"}).status_code == 403, url
    planner = client.post("/reports/planner/", {"office": "KRW", "date": "2026-12-01"})
    assert planner.status_code == 403


def test_the_refusal_page_is_translated(client, office, bandung):
    """The 403 page names the office and speaks Bahasa Indonesia by default."""
    client.force_login(make_staff("spv-bdg@contoh.id", bandung, StaffRole.SUPERVISOR))
    english = client.get("/reports/", {"office": "KRW"}).content.decode()
    assert "The reports of office KRW are for its supervisors" in english
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    indonesian = client.get("/reports/", {"office": "KRW"}).content.decode()
    assert "Laporan kantor KRW hanya untuk supervisor" in indonesian


def test_a_superuser_sees_every_office(client, office, bandung):
    root = User.objects.create_superuser("root@contoh.id", PASSWORD)
    client.force_login(root)
    assert client.get("/reports/", {"office": "KRW"}).status_code == 200
    assert client.get("/reports/", {"office": "BDG"}).status_code == 200


def _get(client, user, path, **query):
    token = issue_token(email=user.email, password=PASSWORD)
    return client.get(
        f"/api/v1/reports/{path}", query, headers={"Authorization": f"Bearer {token}"}
    )


def test_the_api_gives_an_office_s_figures_to_its_supervisors_only(client, office, bandung):
    """Figures of another office: 403 `reports_forbidden`; no report role: 403 `staff_only`."""
    query = {"office": "KRW", "period": "month", "date": "2026-12-01"}
    own = make_staff("spv@contoh.id", office, StaffRole.SUPERVISOR)
    assert _get(client, own, "figures", **query).status_code == 200
    assert _get(client, own, "figures/purposes", **query).status_code == 200
    elsewhere = make_staff("spv-bdg@contoh.id", bandung, StaffRole.SUPERVISOR)
    for path in ("figures", "figures/purposes"):
        refused = _get(client, elsewhere, path, **query)
        assert refused.status_code == 403
        assert refused.json()["code"] == "reports_forbidden"
    desk = make_staff("meja@contoh.id", office, StaffRole.DESK)
    refused = _get(client, desk, "figures", **query)
    assert refused.status_code == 403 and refused.json()["code"] == "staff_only"


def test_the_api_planner_with_bookings_of_another_office_is_refused(client, office, bandung):
    elsewhere = make_staff("spv-bdg@contoh.id", bandung, StaffRole.SUPERVISOR)
    token = issue_token(email=elsewhere.email, password=PASSWORD)
    payload = {
        "office": "KRW",
        "date": "2026-12-01",
        "stages": [{"name": "Foto", "service": {"mean": 5}, "counters": 2}],
        "days": 1,
    }
    response = client.post(
        "/api/v1/reports/planner",
        payload,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403 and response.json()["code"] == "reports_forbidden"
