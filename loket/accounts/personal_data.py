"""What accounts hold about people: the account itself and the applicants it names.

An applicant is anonymised once they have a case (a booking, a waiting-list entry: the apps
holding those say so through `applicant_cases`) and every one closed before the cutoff.
Closing an account anonymises its applicants, revokes its tokens and removes its login."""

import datetime as dt
from functools import reduce
from operator import or_

from django.db.models import Exists, OuterRef, Q

from loket.accounts.models import Applicant
from loket.core import personal_data
from loket.core.models import AuditEvent
from loket.core.personal_data import (
    ANONYMISED_NAME,
    Exported,
    RetentionKind,
    Subject,
    applicant_nik_placeholder,
    iso,
    scrub_audit_snapshots,
)


def export(subject: Subject) -> Exported:
    account = subject.account
    applicants = list(account.applicants.order_by("position"))
    return Exported(
        sections={
            "account": {
                "email": account.email,
                "full_name": account.full_name,
                "email_verified_at": iso(account.email_verified_at),
                "date_joined": iso(account.date_joined),
                # The API tokens' devices (User-Agent) and uses; never the token itself.
                "api_tokens": [
                    {
                        "device": t.label,
                        "created_at": iso(t.created_at),
                        "last_used_at": iso(t.last_used_at),
                        "revoked_at": iso(t.revoked_at),
                    }
                    for t in account.api_tokens.order_by("created_at", "id")
                ],
            },
            "applicants": [
                {
                    "id": a.pk,
                    "position": a.position,
                    "nik": a.nik,
                    "name": a.name,
                    "birth_date": iso(a.birth_date),
                    "sex": a.sex,
                    "phone": a.phone,
                    "domicile_regency": a.domicile_regency,
                    "married": a.married,
                    "created_at": iso(a.created_at),
                }
                for a in applicants
            ],
        },
        audit=Q(actor=account)
        | Q(object_type="User", object_id=str(account.pk))
        | Q(object_type="Applicant", object_id__in=[str(a.pk) for a in applicants]),
    )


def applicants_due(*, cutoff: dt.datetime):
    """Applicants with at least one case, every one of them closed before the cutoff."""
    cases = personal_data.applicant_cases(cutoff=cutoff)
    if not cases:
        return Applicant.objects.none()
    has_case = reduce(or_, [Exists(c.rows.filter(applicant=OuterRef("pk"))) for c in cases])
    due = Applicant.objects.filter(has_case)
    for case in cases:
        due = due.exclude(pk__in=case.open)
    return due.exclude(name=ANONYMISED_NAME)


def _anonymise_applicants(applicants: list, **bulk) -> None:
    for applicant in applicants:
        applicant.name = ANONYMISED_NAME
        applicant.phone = ""
        applicant.nik = applicant_nik_placeholder(applicant.pk)
        applicant.birth_date = dt.date(applicant.birth_date.year, 1, 1)
    Applicant.objects.bulk_update(applicants, ["name", "phone", "nik", "birth_date"], **bulk)
    scrub_audit_snapshots("Applicant", [a.pk for a in applicants])


def anonymise_applicants(*, rows, run) -> int:
    """Name, phone, NIK and exact birth date (the year stays); one audit event each."""
    applicants = list(rows.order_by("pk"))
    _anonymise_applicants(applicants, batch_size=500)
    for a in applicants:
        run.record(action="applicant.anonymised", object_type="Applicant", object_id=str(a.pk))
    return len(applicants)


def close_account(*, account, now) -> None:
    """The account's applicants anonymised, its tokens revoked, its login, e-mail and name
    removed; one audit event."""
    applicants = list(account.applicants.order_by("pk"))
    _anonymise_applicants(applicants)
    account.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=now)
    account.email = f"closed-{account.pk}@loket.invalid"
    account.full_name = ""
    account.is_active = False
    account.set_unusable_password()
    account.save(update_fields=["email", "full_name", "is_active", "password"])
    AuditEvent.objects.create(
        at=now,
        actor=account,
        actor_label="applicant",
        action="account.closed",
        object_type="User",
        object_id=str(account.pk),
        after={"applicants_anonymised": len(applicants)},
    )


PERSONAL_DATA = personal_data.PersonalData(
    app="accounts",
    export_rank=10,
    export=export,
    retention_rank=20,
    kinds=(RetentionKind("applicants", applicants_due, anonymise_applicants),),
    close_account=close_account,
)
