from ninja import Router, Schema

from loket.identity import regions
from loket.offices.selectors import get_office, list_offices

router = Router(tags=["offices"], auth=None)


class ErrorOut(Schema):
    code: str
    detail: str


class ChannelOut(Schema):
    code: str
    kind: str
    name: str
    application_types: list[str]
    bookable_online: bool


class OfficeOut(Schema):
    code: str
    name: str
    address: str
    time_zone: str
    hotline: str
    working_area: list[str]


class OfficeDetailOut(OfficeOut):
    channels: list[ChannelOut]
    region_dataset: str


def _office_out(office) -> dict:
    return {
        "code": office.code,
        "name": office.name,
        "address": office.address,
        "time_zone": office.time_zone,
        "hotline": office.hotline,
        "working_area": [regions.format_regency(w.regency_code) for w in office.working_area.all()],
    }


@router.get("", response=list[OfficeOut])
def offices(request):
    """Active offices."""
    return [_office_out(o) for o in list_offices().prefetch_related("working_area")]


@router.get("/{code}", response={200: OfficeDetailOut, 404: ErrorOut})
def office_detail(request, code: str):
    office = get_office(code)
    channels = office.channels.filter(is_active=True).order_by("code")
    return {
        **_office_out(office),
        "channels": [
            {
                "code": c.code,
                "kind": c.kind,
                "name": c.name,
                "application_types": c.application_types,
                "bookable_online": c.is_bookable_online,
            }
            for c in channels
        ],
        "region_dataset": regions.dataset_version(),
    }
