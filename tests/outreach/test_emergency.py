"""Emergency hotline: eligibility by the KTP address, a supervisor's decision, an audit trail."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from loket.core.errors import PermissionDenied
from loket.core.models import AuditEvent
from loket.outreach import domain, errors
from loket.outreach import hotline as outreach_hotline
from loket.outreach.models import EmergencyCase
from tests.conftest import make_nik

TOMORROW = dt.date(2026, 12, 2)


def record(office, hotline, *, regency="3215", district="321501", reason="medical_abroad"):
    return outreach_hotline.record_emergency_case(
        office=office,
        actor=hotline,
        caller_name="Ibu Sari",
        caller_phone="081298765432",
        nik=make_nik(dt.date(1980, 4, 2), district=district),
        applicant_name="Pak Darto",
        domicile_regency=regency,
        reason=reason,
        notes="Operasi jantung di Singapura tanggal 10",
    )


def test_eligibility_follows_the_ktp_address_not_the_nik():
    """A NIK first issued in Bandung, living in Purwakarta: eligible, with a hint only."""
    result = domain.emergency_eligibility(
        domicile_regency="3214", nik="3273011204800001", working_area=["3215", "3214"]
    )
    assert result.in_working_area
    assert "Kota Bandung" in result.nik_hint or "BANDUNG" in result.nik_hint.upper()
    outside = domain.emergency_eligibility(
        domicile_regency="3273", nik="3215011204800001", working_area=["3215", "3214"]
    )
    assert not outside.in_working_area and outside.nik_hint


def test_a_resident_is_approved_for_a_day_with_a_reason(office, hotline, supervisor):
    case = record(office, hotline)
    assert case.in_working_area and case.status == "recorded"
    outreach_hotline.approve_emergency_case(
        case=case, actor=supervisor, service_date=TOMORROW, reason="Surat rumah sakit lengkap"
    )
    case.refresh_from_db()
    assert (case.status, case.service_date, case.decided_by) == ("approved", TOMORROW, supervisor)
    actions = list(
        AuditEvent.objects.filter(object_type="EmergencyCase").values_list("action", flat=True)
    )
    assert sorted(actions) == ["emergency.approved", "emergency.recorded"]


def test_outside_the_area_needs_an_override_with_a_written_reason(office, hotline, supervisor):
    case = record(office, hotline, regency="3273", district="327301")
    assert not case.in_working_area
    with pytest.raises(errors.OutsideWorkingArea):
        outreach_hotline.approve_emergency_case(
            case=case, actor=supervisor, service_date=TOMORROW, reason="Darurat"
        )
    with pytest.raises(errors.ReasonRequired):
        outreach_hotline.approve_emergency_case(
            case=case,
            actor=supervisor,
            service_date=TOMORROW,
            reason="Darurat",
            area_override=True,
            override_reason="  ",
        )
    outreach_hotline.approve_emergency_case(
        case=case,
        actor=supervisor,
        service_date=TOMORROW,
        reason="Darurat",
        area_override=True,
        override_reason="Kantor Bandung tutup karena gangguan sistem",
    )
    case.refresh_from_db()
    assert case.area_override and "gangguan" in case.area_override_reason
    audit = AuditEvent.objects.get(action="emergency.approved")
    assert audit.after["override_reason"].startswith("Kantor Bandung")


def test_the_database_refuses_an_override_without_a_reason(office, hotline):
    case = record(office, hotline)
    with pytest.raises(IntegrityError), transaction.atomic():
        EmergencyCase.objects.filter(pk=case.pk).update(area_override=True)


def test_the_database_refuses_an_outside_case_approved_without_override(
    office, hotline, supervisor
):
    case = record(office, hotline, regency="3273", district="327301")
    with pytest.raises(IntegrityError), transaction.atomic():
        EmergencyCase.objects.filter(pk=case.pk).update(
            status="approved",
            decided_by=supervisor,
            decided_at=case.recorded_at,
            decision_reason="x",
            service_date=TOMORROW,
        )


def test_a_hotline_officer_may_record_but_not_decide(office, hotline):
    case = record(office, hotline)
    with pytest.raises(PermissionDenied):
        outreach_hotline.approve_emergency_case(
            case=case, actor=hotline, service_date=TOMORROW, reason="x"
        )


def test_rejection_needs_a_reason_and_a_case_is_decided_once(office, hotline, supervisor):
    case = record(office, hotline)
    with pytest.raises(errors.ReasonRequired):
        outreach_hotline.reject_emergency_case(case=case, actor=supervisor, reason=" ")
    outreach_hotline.reject_emergency_case(case=case, actor=supervisor, reason="Bukan darurat")
    with pytest.raises(errors.CaseAlreadyDecided):
        outreach_hotline.approve_emergency_case(
            case=case, actor=supervisor, service_date=TOMORROW, reason="x"
        )


def test_recording_checks_the_nik_and_the_reason(office, hotline):
    with pytest.raises(errors.RequestInvalid) as err:
        outreach_hotline.record_emergency_case(
            office=office,
            actor=hotline,
            caller_name="",
            caller_phone="0812",
            nik="123",
            applicant_name="X",
            domicile_regency="9999",
            reason="other",
            notes="",
        )
    assert [f for f, _m in err.value.errors] == ["nik", "domicile_regency", "notes", "caller_name"]


def test_an_approved_day_must_be_open(office, hotline, supervisor):
    case = record(office, hotline)
    with pytest.raises(errors.DayClosed):
        outreach_hotline.approve_emergency_case(
            case=case, actor=supervisor, service_date=dt.date(2026, 12, 25), reason="x"
        )
