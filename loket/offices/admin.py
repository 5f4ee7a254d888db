from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from loket.core.admin_audit import AuditedAdmin
from loket.identity import regions
from loket.offices import services
from loket.offices.models import (
    ArrivalWindow,
    CapacityOverride,
    Channel,
    Closure,
    Office,
    Tariff,
    WeekdayCapacity,
    WorkingAreaRegency,
)


class WorkingAreaForm(forms.ModelForm):
    # "32.15" is accepted too: normalised to the 4 digits before the model's checks.
    regency_code = forms.CharField(
        label=_("regency code"), max_length=8, help_text=_("e.g. 3215 or 32.15")
    )

    class Meta:
        model = WorkingAreaRegency
        fields = ["regency_code"]

    def clean_regency_code(self):
        code = regions.normalize_regency(self.cleaned_data["regency_code"])
        if code is None:
            raise forms.ValidationError(
                _("Unknown regency code. Use the 4 digits, e.g. 3215 for Karawang.")
            )
        return code


class WorkingAreaInline(admin.TabularInline):
    model = WorkingAreaRegency
    form = WorkingAreaForm
    extra = 1
    readonly_fields = ["regency_name"]

    @admin.display(description=_("regency"))
    def regency_name(self, obj):
        return regions.regency_name(obj.regency_code) if obj.pk else "-"


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 1


class ChannelInline(admin.TabularInline):
    model = Channel
    extra = 0
    fields = ["code", "kind", "name", "is_active"]
    show_change_link = True


@admin.register(Office)
class OfficeAdmin(AuditedAdmin):
    list_display = ["code", "name", "time_zone", "hotline", "is_active"]
    search_fields = ["code", "name"]
    readonly_fields = ["region_dataset"]
    inlines = [WorkingAreaInline, ChannelInline, ClosureInline]

    @admin.display(description=_("region code dataset in use"))
    def region_dataset(self, obj):
        return regions.dataset_version()


class WeekdayCapacityInline(admin.TabularInline):
    model = WeekdayCapacity
    extra = 0
    max_num = 7


class WindowInline(admin.TabularInline):
    model = ArrivalWindow
    extra = 0


class OverrideInline(admin.TabularInline):
    model = CapacityOverride
    extra = 0


@admin.register(Channel)
class ChannelAdmin(AuditedAdmin):
    list_display = ["office", "code", "kind", "name", "release_rule", "is_active"]
    list_filter = ["office", "kind"]
    inlines = [WeekdayCapacityInline, WindowInline, OverrideInline]
    fieldsets = [
        (None, {"fields": ["office", "code", "kind", "name", "is_active"]}),
        (
            _("Application types"),
            {"fields": ["allows_new", "allows_replacement", "allows_lost", "allows_damaged"]},
        ),
        (
            _("Booking rules"),
            {
                "fields": [
                    "hold_minutes",
                    "min_days_ahead",
                    "horizon_days",
                    "reschedule_min_days_before",
                ]
            },
        ),
        (
            _("Release"),
            {
                "fields": [
                    "release_rule",
                    "release_days_ahead",
                    "release_weekday",
                    "release_day_of_month",
                    "release_time",
                ]
            },
        ),
    ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        short = services.apply_capacity_configuration(channel=form.instance, actor=request.user)
        for slot in short:
            messages.warning(
                request,
                _("%(date)s %(window)s keeps %(used)s places: that many are already booked.")
                % {"date": slot.date, "window": f"{slot.window_start:%H:%M}", "used": slot.used},
            )


@admin.register(Tariff)
class TariffAdmin(AuditedAdmin):
    list_display = ["item", "amount", "valid_from", "legal_basis"]
    list_filter = ["item"]
