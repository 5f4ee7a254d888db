"""Identity verification, shaped like the population registry's check (Dukcapil): does this
NIK belong to a person with this name and this birth date?

`IdentityVerifier` is the interface; the implementation is chosen by LOKET_IDENTITY_VERIFIER
(a class path). `LocalRegistry` is deterministic and local, for development, tests and an
office without a registry connection: it answers from `ResidentRecord` rows. An office
connecting to the real registry writes a class with the same `check` method (and, if the
registry can take corrections, `record_checked_ktp`).

Booking refuses a person whose identity does not match (see `verify_person`), with the same
answer as for a NIK whose live booking belongs to another account, so the refusal tells a
stranger nothing about anyone's bookings.
"""

import datetime as dt
import functools
import unicodedata
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from loket.core import clock
from loket.core.errors import DomainError


class IdentityNotConfirmed(DomainError, code="identity_not_confirmed", status=422):
    """The one refusal for "this NIK, name and birth date do not match" and for "this NIK's
    live booking belongs to another account": they must not be told apart."""

    message = _(
        "This NIK cannot be booked online with this name and birth date. Check them against "
        "the KTP. If they are right, come to the office's information desk with the KTP: the "
        "desk can sort it out."
    )


@runtime_checkable
class IdentityVerifier(Protocol):
    def check(self, *, nik: str, name: str, birth_date: dt.date) -> bool:
        """Whether the registry holds this NIK with this name and birth date."""
        ...


def normalise_name(name: str) -> str:
    """Names compared as the registry does: case, accents, punctuation and spacing ignored."""
    text = unicodedata.normalize("NFKD", name or "")
    letters = "".join(ch if ch.isalnum() else " " for ch in text if not unicodedata.combining(ch))
    return " ".join(letters.casefold().split())


class LocalRegistry:
    """Deterministic local registry (ResidentRecord rows). A NIK it holds matches only its own
    name and birth date. A NIK it does not hold: refused, or, with LOKET_IDENTITY_LOCAL_ENROL
    on (development and tests), enrolled with the details given, which then bind everyone."""

    def check(self, *, nik: str, name: str, birth_date: dt.date) -> bool:
        from loket.identity.models import ResidentRecord

        record = ResidentRecord.objects.filter(nik=nik).first()
        if record is None:
            if not settings.LOKET_IDENTITY_LOCAL_ENROL:
                return False
            record = self._enrol(nik=nik, name=name, birth_date=birth_date)
        return record.birth_date == birth_date and normalise_name(record.name) == normalise_name(
            name
        )

    def _enrol(self, *, nik: str, name: str, birth_date: dt.date):
        from loket.identity.models import ResidentRecord

        try:
            with transaction.atomic():
                return ResidentRecord.objects.create(
                    nik=nik,
                    name=name.strip()[:150],
                    birth_date=birth_date,
                    source="enrolled",
                    updated_at=clock.now(),
                )
        except IntegrityError:  # enrolled at the same moment by another request
            return ResidentRecord.objects.get(nik=nik)

    def record_checked_ktp(self, *, nik: str, name: str, birth_date: dt.date, source: str = "desk"):
        """The desk checked the KTP: the local registry holds what it says from now on."""
        from loket.identity.models import ResidentRecord

        ResidentRecord.objects.update_or_create(
            nik=nik,
            defaults={
                "name": name.strip()[:150],
                "birth_date": birth_date,
                "source": source,
                "updated_at": clock.now(),
            },
        )


class AcceptAll:
    """Checks nothing (every NIK matches). Only for load tests and benchmarks."""

    def check(self, *, nik: str, name: str, birth_date: dt.date) -> bool:
        return True


@functools.cache
def _verifier_class(path: str):
    return import_string(path)


def get_verifier() -> IdentityVerifier:
    return _verifier_class(settings.LOKET_IDENTITY_VERIFIER)()


def verify_person(*, nik: str, name: str, birth_date: dt.date) -> None:
    """Raise IdentityNotConfirmed unless the registry matches NIK, name and birth date."""
    if not get_verifier().check(nik=nik, name=name, birth_date=birth_date):
        raise IdentityNotConfirmed()


def record_checked_ktp(*, nik: str, name: str, birth_date: dt.date) -> None:
    """Tell the registry implementation what a checked KTP says, if it takes corrections."""
    verifier = get_verifier()
    record = getattr(verifier, "record_checked_ktp", None)
    if record is not None:
        record(nik=nik, name=name, birth_date=birth_date)
