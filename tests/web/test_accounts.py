import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from loket.accounts.models import Applicant, User
from loket.core import clock
from loket.notifications.models import OutboxMessage
from tests.conftest import make_nik
from tests.web.conftest import last_code_for

PASSWORD = "kopi-tubruk-1990"


def register(client, email="ani@contoh.id", password=PASSWORD):
    return client.post(
        reverse("web:register"), {"email": email, "password": password, "full_name": "Ani"}
    )


@pytest.mark.django_db
def test_register_then_verify_logs_in_and_asks_for_the_family(client, now):
    """Registration e-mails a code; entering it verifies the account and logs it in."""
    response = register(client)
    assert response.status_code == 302 and response.url == reverse("web:verify")
    page = client.get(reverse("web:verify")).content.decode()
    assert 'value="ani@contoh.id"' in page  # the address is filled in
    response = client.post(
        reverse("web:verify"), {"email": "ani@contoh.id", "code": last_code_for("ani@contoh.id")}
    )
    assert response.url == reverse("web:applicants")
    assert User.objects.get(email="ani@contoh.id").is_verified
    assert client.get(reverse("web:applicants")).status_code == 200


@pytest.mark.django_db
def test_register_errors_are_shown_beside_the_fields(client, account):
    """A taken address and a weak password are refused with a message at the field."""
    html = register(client, email="budi@contoh.id").content.decode()
    assert "There is a problem" in html
    assert 'href="#id_email"' in html and "already exists" in html
    html = register(client, email="new@contoh.id", password="12345678").content.decode()
    assert 'href="#id_password"' in html
    html = client.post(reverse("web:register"), {}).content.decode()
    assert "Enter your e-mail address." in html and "Choose a password." in html
    assert "<title>Error:" in html


@pytest.mark.django_db
def test_wrong_code_is_refused(client, now):
    register(client)
    html = client.post(
        reverse("web:verify"), {"email": "ani@contoh.id", "code": "000000"}
    ).content.decode()
    assert 'href="#id_code"' in html and "wrong or has expired" in html
    assert not User.objects.get(email="ani@contoh.id").is_verified


@pytest.mark.django_db
def test_resend_gives_a_new_code_without_telling_who_exists(client, now):
    register(client)
    before = OutboxMessage.objects.count()
    with clock.frozen_at(now + dt.timedelta(minutes=1)):
        response = client.post(reverse("web:resend_code"), {"email": "ani@contoh.id"}, follow=True)
    assert OutboxMessage.objects.count() == before + 1
    assert "a new code is on its way" in response.content.decode()
    response = client.post(reverse("web:resend_code"), {"email": "nobody@contoh.id"}, follow=True)
    assert OutboxMessage.objects.count() == before + 1
    assert "a new code is on its way" in response.content.decode()


@pytest.mark.django_db
def test_login_and_logout(client, account):
    """Log in by e-mail (any case), land on my bookings; log out with a POST."""
    response = client.post(
        reverse("web:login"), {"username": "Budi@Contoh.id", "password": "rahasia-panjang-1"}
    )
    assert response.status_code == 302 and response.url == reverse("web:my_bookings")
    assert client.get(reverse("web:my_bookings")).status_code == 200
    assert client.get(reverse("web:logout")).status_code == 405
    client.post(reverse("web:logout"))
    assert client.get(reverse("web:my_bookings")).status_code == 302


@pytest.mark.django_db
def test_login_refused_with_wrong_password_or_unverified_address(client, account, now):
    html = client.post(
        reverse("web:login"), {"username": "budi@contoh.id", "password": "salah"}
    ).content.decode()
    assert "The e-mail address or password is wrong." in html
    register(client)
    html = client.post(
        reverse("web:login"), {"username": "ani@contoh.id", "password": PASSWORD}
    ).content.decode()
    assert "Verify your e-mail address first" in html
    assert reverse("web:verify") in html


@pytest.mark.django_db
def test_login_required_pages_redirect_to_login(client, office):
    for name in ("web:my_bookings", "web:applicants", "web:applicant_add", "web:check"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("web:login") + "?next=")


@pytest.mark.django_db
def test_password_reset_through_the_outbox(client, account):
    """The reset link goes out through the outbox; following it sets a new password."""
    response = client.post(reverse("web:password_reset"), {"email": "budi@contoh.id"})
    assert response.url == reverse("web:password_reset_done")
    message = OutboxMessage.objects.filter(recipient="budi@contoh.id").latest("id")
    link = next(line for line in message.body.splitlines() if "/accounts/reset/" in line)
    assert link.startswith("http://127.0.0.1:8000/")  # LOKET_SITE_URL, not the Host header
    path = link.split("127.0.0.1:8000", 1)[1]
    response = client.get(path)  # redirects to the set-password form
    response = client.post(
        response.url, {"new_password1": "teh-manis-2026", "new_password2": "teh-manis-2026"}
    )
    assert response.url == reverse("web:password_reset_complete")
    assert client.login(username="budi@contoh.id", password="teh-manis-2026")


@pytest.mark.django_db
def test_password_reset_for_an_unknown_address_says_the_same(client, office):
    response = client.post(reverse("web:password_reset"), {"email": "x@contoh.id"})
    assert response.url == reverse("web:password_reset_done")
    assert not OutboxMessage.objects.exists()


def applicant_post(nik, **overrides):
    data = {
        "nik": nik,
        "name": "Siti Aminah",
        "birth_date": "1992-08-03",
        "sex": "F",
        "phone": "081298765432",
        "domicile_regency": "32.15",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_add_a_person(web, account):
    nik = make_nik(dt.date(1992, 8, 3), "F")
    response = web.post(reverse("web:applicant_add"), applicant_post(nik))
    assert response.url == reverse("web:applicants")
    person = Applicant.objects.get(account=account)
    assert person.nik == nik and person.domicile_regency == "3215"
    assert "Siti Aminah" in web.get(reverse("web:applicants")).content.decode()


@pytest.mark.django_db
def test_person_errors_say_what_is_wrong(web, account):
    """A bad NIK, a wrong sex, an unknown regency: each refused with its reason."""
    html = web.post(reverse("web:applicant_add"), applicant_post("123")).content.decode()
    assert 'href="#id_nik"' in html and "exactly 16 digits" in html
    nik = make_nik(dt.date(1992, 8, 3), "F")
    html = web.post(
        reverse("web:applicant_add"), applicant_post(nik, birth_date="1992-08-04")
    ).content.decode()
    assert "The birth date does not match the NIK" in html
    html = web.post(
        reverse("web:applicant_add"), applicant_post(nik, domicile_regency="99.99")
    ).content.decode()
    assert 'href="#id_domicile_regency"' in html
    html = web.post(reverse("web:applicant_add"), applicant_post(nik, sex="M")).content.decode()
    assert "The sex does not match the NIK" in html
    html = web.post(reverse("web:applicant_add"), applicant_post(nik, phone="12")).content.decode()
    assert "8 to 15 digits" in html
    assert not Applicant.objects.filter(account=account).exists()


@pytest.mark.django_db
def test_edit_a_person_keeps_the_nik(web, account, person):
    response = web.post(
        reverse("web:applicant_edit", args=[person.pk]),
        {
            "nik": "3201010101010001",  # ignored: the NIK cannot be changed
            "name": "Budi S.",
            "birth_date": "1990-05-12",
            "sex": "M",
            "phone": "081200000001",
            "domicile_regency": "3214",
        },
    )
    assert response.url == reverse("web:applicants")
    person.refresh_from_db()
    assert (person.name, person.domicile_regency) == ("Budi S.", "3214")
    assert Applicant.objects.filter(account=account).count() == 1


@pytest.mark.django_db
def test_someone_elses_person_is_404(web, other_account, now):
    from django.db import transaction

    from loket.accounts.services import save_applicant
    from tests.web.conftest import BIRTH

    with transaction.atomic():
        theirs = save_applicant(
            account=other_account,
            nik=make_nik(BIRTH, serial=9),
            name="X",
            birth_date=BIRTH,
            sex="M",
            phone="081200000009",
            domicile_regency="3215",
            today=now.date(),
        )
    assert web.get(reverse("web:applicant_edit", args=[theirs.pk])).status_code == 404


@pytest.mark.django_db
def test_the_fifth_person_is_the_last(web, account):
    """The page stops offering the form at 5 people; a sixth sent anyway is refused."""
    for serial in range(1, 6):
        nik = make_nik(dt.date(1992, 8, 3), "F", serial=serial)
        assert web.post(reverse("web:applicant_add"), applicant_post(nik)).status_code == 302
    assert settings.LOKET_MAX_APPLICANTS_PER_ACCOUNT == 5
    listing = web.get(reverse("web:applicants")).content.decode()
    assert reverse("web:applicant_add") not in listing
    assert "the most people an account may apply for" in listing
    page = web.get(reverse("web:applicant_add")).content.decode()
    assert "You cannot add more people" in page and 'name="nik"' not in page
    html = web.post(
        reverse("web:applicant_add"), applicant_post(make_nik(dt.date(1992, 8, 3), "F", serial=6))
    ).content.decode()
    assert "at most 5 people" in html
    assert Applicant.objects.filter(account=account).count() == 5


@pytest.mark.django_db
def test_nik_checked_as_typed(client, now):
    """The live NIK check counts digits, names what is wrong, or says what the NIK tells."""
    url = reverse("web:check_nik")
    assert "5 of 16 digits" in client.get(url, {"nik": "32150"}).content.decode()
    assert (
        "region code 999999 is unknown"
        in client.get(url, {"nik": "9999991205900001"}).content.decode()
    )
    html = client.get(url, {"nik": make_nik(dt.date(1992, 8, 3), "F")}).content.decode()
    assert "field-feedback--ok" in html and "female" in html and "Karawang" in html
    html = client.get(
        url, {"nik": make_nik(dt.date(1992, 8, 3), "F"), "birth_date": "1992-08-04"}
    ).content.decode()
    assert "does not match" in html
    assert client.get(url, {"nik": "abc"}).status_code == 200


@pytest.mark.django_db
def test_add_person_form_uses_htmx_served_locally(web):
    html = web.get(reverse("web:applicant_add")).content.decode()
    assert 'hx-get="/accounts/family/check-nik/"' in html
    assert '<script src="/static/django_htmx/htmx-2.min.js"' in html


@pytest.mark.parametrize(
    "name,data",
    [
        ("web:register", {"email": "a@contoh.id", "password": PASSWORD}),
        ("web:login", {"username": "budi@contoh.id", "password": "rahasia-panjang-1"}),
        ("web:verify", {"email": "a@contoh.id", "code": "123456"}),
        ("web:password_reset", {"email": "budi@contoh.id"}),
        ("web:set_language", {"language": "en"}),
    ],
)
@pytest.mark.django_db
def test_csrf_is_enforced_on_account_forms(name, data, account):
    csrf_client = Client(enforce_csrf_checks=True)
    assert csrf_client.post(reverse(name), data).status_code == 403


@pytest.mark.django_db
def test_csrf_token_makes_the_post_pass(account):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.get(reverse("web:login"))
    token = csrf_client.cookies["csrftoken"].value
    response = csrf_client.post(
        reverse("web:login"),
        {
            "username": "budi@contoh.id",
            "password": "rahasia-panjang-1",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_unverified_session_is_sent_to_verify(client, now):
    """An account that has not verified its address cannot reach the booking pages."""
    register(client)
    client.force_login(User.objects.get(email="ani@contoh.id"))
    response = client.get(reverse("web:my_bookings"))
    assert response.url == reverse("web:verify")


@pytest.mark.django_db
def test_a_broken_reset_link_says_so(client, account):
    response = client.get(reverse("web:password_reset_confirm", args=["MQ", "bad-token"]))
    assert "This link does not work any more" in response.content.decode()
    assert reverse("web:password_reset") in response.content.decode()


@pytest.mark.django_db
def test_regency_checked_as_typed(client):
    url = reverse("web:check_regency")
    assert "Kab. Karawang" in client.get(url, {"domicile_regency": "32.15"}).content.decode()
    assert "Kab. Purwakarta" in client.get(url, {"domicile_regency": "3214"}).content.decode()
    unknown = client.get(url, {"domicile_regency": "99.99"}).content.decode()
    assert "No regency or city is called 99.99" in unknown
    assert client.get(url).content.decode().strip() == ""
