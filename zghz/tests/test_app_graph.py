"""The apps under zghz/ import each other one way only: no cycle, and no app imports a portal.

The import graph comes from tools/app_graph.py (every import, function-local ones included; tests and
migrations excluded); `.venv/bin/python tools/app_graph.py` prints it.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("app_graph", ROOT / "tools" / "app_graph.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("app_graph", module)
    spec.loader.exec_module(module)
    return module


graph = _load_tool()


def _describe(cycle: list[str], edges: dict[tuple[str, str], list[str]]) -> str:
    steps = "; ".join(f"{a} -> {b} at {', '.join(edges[a, b])}" for a, b in itertools.pairwise(cycle))
    return f"{' -> '.join(cycle)} ({steps})"


def test_it_finds_no_cycle_between_apps() -> None:
    edges = graph.edges(ROOT)
    assert ("enrolment", "coverage") in edges  # the reader sees the real graph
    found = graph.cycles(edges)
    assert not found, "import cycles between apps:\n" + "\n".join(_describe(c, edges) for c in found)


def test_it_finds_no_app_importing_a_portal() -> None:
    edges = graph.edges(ROOT)
    bad = graph.portal_violations(edges)
    assert not bad, "imports of a portal:\n" + "\n".join(f"{a} -> {b} at {', '.join(edges[a, b])}" for a, b in bad)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_it_names_a_cycle_made_by_a_function_local_or_relative_import(tmp_path: Path) -> None:
    _write(tmp_path, {
        "zghz/__init__.py": "", "zghz/settings.py": "from zghz.books import models\n",
        "zghz/books/__init__.py": "", "zghz/books/apps.py": "",
        "zghz/books/services.py": "def lend():\n    from zghz.loans.models import Loan\n    return Loan\n",
        "zghz/loans/__init__.py": "", "zghz/loans/apps.py": "",
        "zghz/loans/models.py": "from ..shelves import rules\n",
        "zghz/shelves/__init__.py": "", "zghz/shelves/apps.py": "",
        "zghz/shelves/rules.py": "from zghz import books\n",
        # Neither tests nor migrations count.
        "zghz/shelves/tests/test_rules.py": "from zghz.portal import views\n",
        "zghz/shelves/migrations/0001_initial.py": "from zghz.portal import views\n",
        "zghz/portal/__init__.py": "", "zghz/portal/apps.py": "",
        "zghz/portal/views.py": "from zghz.books.services import lend\n",
    })
    edges = graph.edges(tmp_path)
    assert sorted(edges) == [("books", "loans"), ("loans", "shelves"), ("portal", "books"), ("shelves", "books")]
    assert edges["books", "loans"] == ["zghz/books/services.py:2"]
    assert graph.cycles(edges) == [["books", "loans", "shelves", "books"]]
    assert graph.portal_violations(edges) == []
    _write(tmp_path, {"zghz/books/models.py": "import zghz.portal.views\n"})
    assert graph.portal_violations(graph.edges(tmp_path)) == [("books", "portal")]


@pytest.mark.parametrize("edges, expected", [
    ({("a", "b"): [], ("b", "c"): []}, []),
    ({("a", "b"): [], ("b", "a"): [], ("b", "c"): [], ("c", "b"): []}, [["a", "b", "a"], ["b", "c", "b"]]),
])
def test_it_lists_every_cycle_once(edges: dict[tuple[str, str], list[str]], expected: list[list[str]]) -> None:
    assert graph.cycles(edges) == expected
