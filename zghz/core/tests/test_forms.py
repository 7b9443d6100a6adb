"""form_error: a service's refusal lands next to its field, or on top of the form."""

from django import forms

from zghz.core.errors import DomainError
from zghz.core.forms import form_error


class NameForm(forms.Form):
    name = forms.CharField(required=False)


def test_it_puts_a_domain_error_next_to_its_field() -> None:
    form = NameForm({"name": "x"})
    assert form.is_valid()
    form_error(form, DomainError("请填写单位全称", field="name"))
    assert form.errors == {"name": ["请填写单位全称"]}


def test_it_puts_an_error_without_a_known_field_on_top_of_the_form() -> None:
    for field in (None, "district"):
        form = NameForm({"name": "x"})
        assert form.is_valid()
        form_error(form, DomainError("单位信息已提交", field=field))
        assert form.non_field_errors() == ["单位信息已提交"] and "name" not in form.errors
