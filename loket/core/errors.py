"""Domain errors: each has a stable `code` for the API and a message for people."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "domain_error"
    status = 400
    message = _("The request cannot be carried out.")

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


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message = _("Not found.")


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403
    message = _("You may not do this.")


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 422
    message = _("The input is not valid.")
