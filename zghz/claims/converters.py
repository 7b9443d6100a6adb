"""The `claim` URL converter: a claim number (LP + YYYYMMDD + 6 digits), so claim routes never swallow
sibling paths such as `claims/accident/new/`."""

from django.urls import register_converter
from django.urls.converters import StringConverter, get_converters


class ClaimNumberConverter(StringConverter):
    regex = r"LP[0-9]{14}"


if "claim" not in get_converters():
    register_converter(ClaimNumberConverter, "claim")
