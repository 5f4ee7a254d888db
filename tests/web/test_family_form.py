"""The family form: the regency picked by name, birth date and sex taken from the NIK, every
mistake shown at once and in the order of the page."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from loket.accounts.models import Applicant
from tests.conftest import make_nik
from tests.web.test_accounts import applicant_post
from tests.web.test_booking_journey import details_url

pytestmark = pytest.mark.django_db


def summary_links(html: str) -> list[str]:
    summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'href="#([^"]+)"', summary)


def test_the_regency_is_picked_by_name_and_stored_as_its_code(web, account):
    """'Karawang' (what the KTP prints) is stored as 3215; the page offers the names to pick."""
    page = web.get(reverse("web:applicant_add")).content.decode()
    assert 'list="regency-list"' in page and '<option value="Kab. Karawang"' in page
    assert "32.15" not in page  # nobody is asked for a code
    nik = make_nik(dt.date(1992, 8, 3), "F")
    response = web.post(
        reverse("web:applicant_add"), applicant_post(nik, domicile_regency="karawang")
    )
    assert response.status_code == 302
    assert Applicant.objects.get(account=account).domicile_regency == "3215"


def test_an_ambiguous_or_unknown_regency_name_says_which_to_choose(web):
    nik = make_nik(dt.date(1992, 8, 3), "F")
    html = web.post(
        reverse("web:applicant_add"), applicant_post(nik, domicile_regency="Bandung")
    ).content.decode()
    assert "Kab. Bandung" in html and "Kota Bandung" in html
    html = web.post(
        reverse("web:applicant_add"), applicant_post(nik, domicile_regency="Karawan")
    ).content.decode()
    assert "Did you mean Kab. Karawang" in html


def test_the_edit_page_shows_the_regency_by_name(web, person):
    html = web.get(reverse("web:applicant_edit", args=[person.pk])).content.decode()
    assert 'value="Kab. Karawang"' in html


def test_the_live_regency_check_names_the_place(client):
    html = client.get(reverse("web:check_regency"), {"domicile_regency": "karawang"})
    assert "Kab. Karawang, Jawa Barat (32.15)" in html.content.decode()


def test_birth_date_and_sex_left_empty_are_taken_from_the_nik(web, account):
    """Without JavaScript too: the NIK says born 3 August 1992, a woman."""
    nik = make_nik(dt.date(1992, 8, 3), "F")
    response = web.post(reverse("web:applicant_add"), applicant_post(nik, birth_date="", sex=""))
    assert response.status_code == 302
    person = Applicant.objects.get(account=account)
    assert (person.birth_date, person.sex) == (dt.date(1992, 8, 3), "F")


def test_the_live_nik_check_hands_birth_date_and_sex_to_the_form(client, now):
    html = client.get(
        reverse("web:check_nik"), {"nik": make_nik(dt.date(1992, 8, 3), "F")}
    ).content.decode()
    assert 'data-nik-birth-date="1992-08-03"' in html and 'data-nik-sex="F"' in html


def test_the_birth_date_hint_matches_the_date_picker(web):
    html = web.get(reverse("web:applicant_add")).content.decode()
    assert "12/05/1990" not in html
    assert 'type="date"' in html and "Filled in from the NIK" in html


def test_an_invalid_nik_does_not_hide_the_other_mistakes(web):
    """A wrong NIK, phone and regency are all reported at once, in the order of the page."""
    html = web.post(
        reverse("web:applicant_add"),
        applicant_post("123", phone="12", domicile_regency="Atlantis"),
    ).content.decode()
    assert summary_links(html) == ["id_nik", "id_phone", "id_domicile_regency"]
    assert "exactly 16 digits" in html and "8 to 15 digits" in html
    assert "No regency or city is called Atlantis" in html


def test_a_sex_contradicting_the_nik_is_shown_beside_the_sex(web):
    nik = make_nik(dt.date(1992, 8, 3), "F")
    html = web.post(
        reverse("web:applicant_add"), applicant_post(nik, sex="M", phone="1")
    ).content.decode()
    assert summary_links(html) == ["id_sex_0", "id_phone"]


def test_the_booking_form_lists_its_errors_in_the_order_of_the_page(web, person):
    html = web.post(details_url(), {}).content.decode()
    assert summary_links(html) == [
        "id_applicant_0",
        "id_application_type_0",
        "id_purpose",
        "id_passport_type_0",
    ]
