"""The permission table, require(), the view decorator and the portal's link registry."""

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.urls import reverse

from loket.core.errors import InvalidInput, PermissionDenied
from loket.core.models import AuditEvent
from loket.offices.models import Office
from loket.staff import portal
from loket.staff.models import StaffMembership, StaffRole
from loket.staff.permissions import (
    PERMISSIONS,
    has_permission,
    offices_with,
    permissions_at,
    require,
    roles_at,
    staff_required,
)
from loket.staff.services import grant_role

pytestmark = pytest.mark.django_db
User = get_user_model()


def _staff(office, email, *roles):
    user = User.objects.create_user(email, "rahasia-staf-123", is_staff=True)
    for role in roles:
        grant_role(user=user, office=office, role=role)
    return user


@pytest.fixture
def bandung(db):
    return Office.objects.create(code="BDG", name="Kantor Imigrasi Bandung")


def test_the_table_names_only_real_roles_and_every_role_may_do_something():
    """Each permission is held by known roles, and no role is left without any right."""
    for name, roles in PERMISSIONS.items():
        assert roles and roles <= set(StaffRole.values), name
    assert set().union(*PERMISSIONS.values()) == set(StaffRole.values)


def test_require_refuses_with_the_forbidden_code_and_lets_the_holder_pass(office, bandung):
    """A desk officer may check people in at their office, not at another one, and may not
    register an emergency anywhere; the refusal is the API's `forbidden` error."""
    desk = _staff(office, "meja@contoh.id", StaffRole.DESK)
    require(desk, office, "desk.check_in")
    with pytest.raises(PermissionDenied) as refused:
        require(desk, bandung, "desk.check_in")
    assert refused.value.code == "forbidden" and refused.value.status == 403
    with pytest.raises(PermissionDenied):
        require(desk, office, "emergency.register")
    # Any one of several permissions is enough.
    require(desk, office, "emergency.register", "desk.check_in")


def test_superusers_hold_everything_and_inactive_or_missing_accounts_nothing(office):
    boss = User.objects.create_superuser("root@contoh.id", "rahasia-staf-123")
    require(boss, office, "reports.view")
    assert roles_at(boss, office) == set(StaffRole.values)
    gone = _staff(office, "lama@contoh.id", StaffRole.SUPERVISOR)
    gone.is_active = False
    gone.save()
    assert not has_permission(gone, office, "office.supervise")
    with pytest.raises(PermissionDenied):
        require(None, office, "desk.check_in")


def test_permissions_and_offices_follow_the_roles_held(office, bandung):
    """A supervisor at one office sees the reports of that office only."""
    spv = _staff(office, "spv@contoh.id", StaffRole.SUPERVISOR)
    assert "reports.view" in permissions_at(spv, office)
    assert "outreach.plan" not in permissions_at(spv, office)
    assert permissions_at(spv, bandung) == set()
    assert list(offices_with(spv, "reports.view")) == [office]
    assert list(offices_with(spv, "outreach.plan")) == []


def test_an_unknown_permission_name_fails_at_once(office):
    """A misspelt name is a programming error, found when the module loads."""
    with pytest.raises(KeyError):
        require(None, office, "desk.checkin")
    with pytest.raises(KeyError):
        staff_required("counter.serv")


def test_granting_a_role_is_idempotent_and_audited(office):
    """Granting a role twice keeps one row and one audit event; an unknown role is refused."""
    desk = _staff(office, "meja@contoh.id")
    grant_role(user=desk, office=office, role="desk")
    grant_role(user=desk, office=office, role="desk")
    assert desk.staff_memberships.count() == 1
    assert AuditEvent.objects.filter(action="staff.role_granted").count() == 1
    with pytest.raises(InvalidInput):
        grant_role(user=desk, office=office, role="king")


def test_the_membership_table_kept_its_name_and_its_content_type_moved():
    """The move to the staff app changed no table: it is still queue_staffmembership."""
    assert StaffMembership._meta.db_table == "queue_staffmembership"
    assert "queue_staffmembership" in connection.introspection.table_names()
    ct = ContentType.objects.get_for_model(StaffMembership)
    assert ct.app_label == "staff"


def test_the_channels_registered_their_portal_links():
    """Queue, outreach, reports and staff put their pages into the portal's registry."""
    names = [link.url_name for link in portal.links()]
    for name in (
        "queue:desk",
        "queue:board",
        "queue:ledger",
        "outreach:hotline",
        "outreach:check_in",
        "reports:index",
        "audit:search",
    ):
        assert name in names
    assert names.index("reports:index") < names.index("audit:search")


def test_a_portal_section_lists_only_what_the_permissions_open(office):
    """A hotline officer sees the board, the hotline and the code check-in; a desk officer
    checks codes in on the desk page, so that link is not shown to them."""

    def urls(permissions):
        sections = portal.sections_for(office, permissions)
        return [link["url"] for section in sections for link in section["links"]]

    hotline = urls({"outreach.hotline", "outreach.check_in_case", "emergency.register"})
    assert reverse("queue:board", kwargs={"office_code": office.code}) in hotline
    assert reverse("outreach:hotline") + f"?office={office.code}" in hotline
    assert reverse("outreach:check_in") + f"?office={office.code}" in hotline
    assert reverse("queue:desk", kwargs={"office_code": office.code}) not in hotline
    desk = urls({"desk.check_in", "outreach.check_in_case"})
    assert reverse("outreach:check_in") + f"?office={office.code}" not in desk


def test_registering_a_link_twice_keeps_one(monkeypatch):
    monkeypatch.setattr(portal, "_links", dict(portal._links))
    before = len(portal.links())
    link = portal.PortalLink("queue:board", "Board", "office_day", 80)
    portal.register(link)
    portal.register(link)
    assert len(portal.links()) == before
    with pytest.raises(ValueError):
        portal.register(portal.PortalLink("queue:board", "Board", "elsewhere", 1))
    with pytest.raises(KeyError):
        portal.register(portal.PortalLink("queue:x", "X", "office_day", 1, permissions=("no",)))


def test_no_role_lists_outside_the_staff_app():
    """Rights are named permissions: apart from the demo accounts (which are given roles), no
    module outside loket/staff names a staff role or filters memberships by role."""
    import loket

    root = Path(loket.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] in ("staff", "demo") or "migrations" in rel.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"StaffRole\.|role__in|_ROLES\b", text):
            offenders.append(str(rel))
    assert offenders == []
