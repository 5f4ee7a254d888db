import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field


class ColumnOut(Schema):
    key: str
    label: str
    kind: str


class SummaryOut(Schema):
    label: str
    value: Any = None


class FigureOut(Schema):
    key: str
    title: str
    definition: str
    columns: list[ColumnOut]
    rows: list[list[Any]]
    summary: list[SummaryOut]
    chart: dict | None = None


class FiguresOut(Schema):
    office: str
    period: str
    start: dt.date
    end: dt.date
    figures: list[FigureOut]


class ServiceIn(Schema):
    mean: float = Field(gt=0, le=600, description="mean service time (minutes)")
    distribution: str = Field(default="lognormal", pattern="^(exponential|lognormal)$")
    cv: float = Field(default=0.5, gt=0, le=5)


class StageIn(Schema):
    name: str = Field(min_length=1, max_length=60)
    service: ServiceIn
    counters: int = Field(ge=1, le=100)
    counters_by_hour: dict[int, int] = Field(default_factory=dict)


class PlanIn(Schema):
    recorded_arrivals: bool = Field(
        default=False,
        description="with `office`: the arrivals recorded there over the fitting period "
        "(tickets issued per hour, mean per day with tickets), scaled by `quotas`",
    )
    fit_start: dt.date | None = None
    fit_end: dt.date | None = None
    quotas: dict[str, float] = Field(
        default_factory=dict, description="channel code -> places per day (recorded arrivals)"
    )
    booked_per_hour: dict[int, float] = Field(default_factory=dict)
    walk_ins_per_hour: dict[int, float] = Field(default_factory=dict)
    office: str | None = Field(default=None, description="take booked arrivals from bookings")
    date: dt.date | None = None
    no_show_rate: float = Field(default=0.0, ge=0, lt=1)
    stages: list[StageIn] = Field(min_length=1, max_length=10)
    days: int = Field(default=20, ge=1, le=200)
    seed: int = Field(default=1, ge=0)
    target_p90: float | None = Field(default=None, gt=0, le=600)


class PlanOut(Schema):
    result: dict
    recommendation: dict | None = None


class StageFitOut(Schema):
    name: str
    counters: int
    services: int
    distribution: str
    mean: float
    cv: float
    observed_p50: float | None = None
    observed_p90: float | None = None
    aic_exponential: float | None = None
    aic_lognormal: float | None = None


class ChannelArrivalsOut(Schema):
    code: str
    name: str
    places_per_day: float
    per_hour: dict[int, float]


class CalibrationOut(Schema):
    stage: str
    observed_n: int
    observed_p50: float | None = None
    observed_p90: float | None = None
    predicted_p50: float
    predicted_p90: float


class OfficeModelOut(Schema):
    office: str
    fit_start: dt.date
    fit_end: dt.date
    open_days: int
    stages: list[StageFitOut]
    channels: list[ChannelArrivalsOut]
    plan_b: dict[str, str]
    calibration_day: dt.date | None = None
    calibration: list[CalibrationOut]


class ErrorOut(Schema):
    code: str
    detail: str
