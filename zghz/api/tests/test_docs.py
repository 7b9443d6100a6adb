import re

from django.contrib.staticfiles import finders
from django.test import Client


def test_it_serves_swagger_ui_from_our_own_static_files(client: Client) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(refs) == 3, refs  # the stylesheet, the bundle and the start script
    for ref in refs:
        assert ref.startswith("/static/"), f"{ref} is not one of our static files"
        assert finders.find(ref.removeprefix("/static/")), f"{ref} is missing from zghz/static"
    assert "//" not in "".join(refs)
    assert '"validatorUrl": null' in html  # no badge request to validator.swagger.io
    assert '"url": "/api/v1/openapi.json"' in html
