"""What the local registry (ResidentRecord) holds about people: NIK, name, birth date.

It stands in for the population registry, whose data it is: a download gives the records of
the NIKs an officer checked against the KTP for the account (rows found by NIK alone are given
only for those: an account can name any NIK). Like the registry, it keeps its records (no
retention run); in production the real registry is connected and enrolment is off.
"""

from loket.core.personal_data import Exported, PersonalData, Subject, iso
from loket.identity.models import ResidentRecord


def export(subject: Subject) -> Exported:
    records = ResidentRecord.objects.filter(nik__in=subject.niks).order_by("nik")
    return Exported(
        sections={
            "identity_records": [
                {
                    "nik": r.nik,
                    "name": r.name,
                    "birth_date": iso(r.birth_date),
                    "source": r.source,
                    "updated_at": iso(r.updated_at),
                }
                for r in records
            ]
        }
    )


PERSONAL_DATA = PersonalData(app="identity", export_rank=70, export=export)
