"""First load of every /m/ page: at most 150 KB over the wire (gzip), every asset served from here.

The figure is the gzip'd HTML plus every stylesheet, script and image the HTML references, each
compressed as the static file server sends it. Run with `-s` to see the figures."""

import gzip
import re
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from zghz.conftest import Personas, login_member

from .helpers import member_records

LIMIT = 150 * 1024
ASSET = re.compile(r'<(?:script|link|img)\b[^>]*?\b(?:src|href)="([^"]+)"')


def _gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


def first_load(client: Client, url: str) -> tuple[int, dict[str, int]]:
    r = client.get(url)
    assert r.status_code == 200, url
    html = r.content
    sizes = {"HTML": _gz(html)}
    for ref in ASSET.findall(html.decode()):
        if ref.startswith("data:"):
            continue
        assert not ref.startswith(("http:", "https:", "//")), f"{url} loads {ref} from elsewhere"
        assert ref.startswith("/static/"), f"{url} references {ref}"
        path = finders.find(ref.removeprefix("/static/").split("?")[0])
        assert path, ref
        with open(str(path), "rb") as fh:
            sizes[ref] = _gz(fh.read())
    return sum(sizes.values()), sizes


@pytest.fixture
def pages(client: Client, personas: Personas) -> dict[str, str]:
    records = member_records(personas)
    return {"/m/login/": "", "/m/register/": "", "/m/": "member", "/m/coverage/": "member", "/m/claims/": "member",
            f"/m/claims/{records.completed.number}/": "member", f"/m/claims/{records.pending.number}/upload/": "member"}


def test_every_member_page_loads_in_at_most_150_kb(pages: dict[str, str], personas: Personas, capsys: Any) -> None:
    anonymous, member = Client(), login_member(Client(), personas.member)
    lines = []
    for url, who in pages.items():
        total, sizes = first_load(member if who else anonymous, url)
        lines.append(f"{url:<40} {total / 1024:6.1f} KB  " + ", ".join(f"{k} {v / 1024:.1f}" for k, v in sizes.items()))
        assert total <= LIMIT, f"{url}: {total} bytes"
    with capsys.disabled():
        print("\nfirst load (gzip):\n" + "\n".join(lines))
