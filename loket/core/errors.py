"""Domain errors: each has a stable `code` for the API, an HTTP `status` and a message for
people. A refusal is declared as one row, its code and status in the class line:

    class DayFull(DomainError, code="day_full", status=409):
        message = _("This day is full. Choose another day.")

The class names are the ones callers catch (isinstance), the codes are the API's promise
(tests/test_error_codes.py keeps every code and status as it was)."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "domain_error"
    status = 400
    message = _("The request cannot be carried out.")

    def __init_subclass__(cls, *, code: str | None = None, status: int | None = None, **kwargs):
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code
        if status is not None:
            cls.status = status

    def __init__(self, message=None, **params):
        self.params = params
        self.detail = message if message is not None else self.message
        super().__init__(str(self.detail))

    def __str__(self) -> str:
        text = str(self.detail)
        try:
            return text % self.params if self.params else text
        except (KeyError, TypeError, ValueError):
            return text


class NotFound(DomainError, code="not_found", status=404):
    message = _("Not found.")


class PermissionDenied(DomainError, code="forbidden", status=403):
    message = _("You may not do this.")


class InvalidInput(DomainError, code="invalid_input", status=422):
    message = _("The input is not valid.")
