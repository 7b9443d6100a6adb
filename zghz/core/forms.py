"""Forms meet domain errors here: every portal shows a service's refusal the same way."""

from django import forms

from .errors import DomainError


def form_error(form: forms.Form, e: DomainError) -> None:
    """Put a DomainError on `form`: next to its field when the form has that field, else on top of the form."""
    form.add_error(e.field if e.field in form.fields else None, e.message)
