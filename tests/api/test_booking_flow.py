import datetime as dt
import json

from loket.booking.payments import sign_payment_notice
from tests.conftest import make_nik


def booking_body(day: dt.date, **overrides) -> dict:
    birth = dt.date(1990, 5, 12)
    body = {
        "office": "KRW",
        "channel": "online",
        "date": day.isoformat(),
        "window": "09:00",
        "application_type": "new",
        "purpose": "apprenticeship",
        "passport_type": "ordinary",
        "applicant": {
            "nik": make_nik(birth),
            "name": "Budi Santoso",
            "birth_date": birth.isoformat(),
            "sex": "M",
            "phone": "081234567890",
            "domicile_regency": "32.15",
        },
    }
    body.update(overrides)
    return body


def test_book_pay_and_see_the_booking_confirmed(client, office, auth):
    """A booking held for payment is confirmed by a signed payment notice."""
    day = dt.date(2026, 12, 3)
    response = client.post(
        "/api/v1/bookings", booking_body(day), content_type="application/json", **auth
    )
    assert response.status_code == 201, response.json()
    booking = response.json()
    assert booking["status"] == "awaiting_payment"
    assert booking["amount"] == 650_000
    assert len(booking["billing_code"]) == 15

    notice = json.dumps(
        {
            "billing_code": booking["billing_code"],
            "amount": 650_000,
            "paid_at": "2026-12-01T02:30:00+00:00",
        }
    ).encode()
    paid = client.post(
        "/api/v1/payments/notify",
        notice,
        content_type="application/json",
        HTTP_X_SIGNATURE=sign_payment_notice(notice),
    )
    assert paid.status_code == 200, paid.json()

    detail = client.get(f"/api/v1/bookings/{booking['code']}", **auth).json()
    assert detail["status"] == "confirmed"
    assert detail["application_number"].startswith("KRW-20261201-")  # the day it was paid
    assert detail["qr"]
