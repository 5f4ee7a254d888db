"""Rows of other apps that name one of an account's people (bookings, waiting-list entries).

Each such app registers an `ApplicantHolder` in its AppConfig.ready(); taking a person off an
account asks them all, so accounts knows none of those apps."""

from collections.abc import Callable
from dataclasses import dataclass

from loket.accounts.models import Applicant


def _nothing(applicant: Applicant) -> bool:
    return False


@dataclass(frozen=True)
class ApplicantHolder:
    """in_use: an open case for the person (the removal is refused);
    on_record: past rows the office keeps, naming the person (refused as well);
    let_go: unlink the rows that may outlive the person (before the person is deleted)."""

    in_use: Callable[[Applicant], bool]
    on_record: Callable[[Applicant], bool] = _nothing
    let_go: Callable[[Applicant], None] | None = None


_holders: dict[str, ApplicantHolder] = {}


def register_applicant_holder(name: str, holder: ApplicantHolder) -> None:
    _holders[name] = holder


def applicant_holders() -> list[ApplicantHolder]:
    return list(_holders.values())
