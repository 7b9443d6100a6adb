"""Print the import graph between the apps under zghz/ and any cycle in it.

    .venv/bin/python tools/app_graph.py           # this checkout
    .venv/bin/python tools/app_graph.py ../other  # another checkout of the repository

It prints the edges (importer -> imported, with how many imports make each), every cycle with the
imports that make it, and any import of a portal by a domain app; the exit status is 1 when there is
a cycle or such an import.

Every import counts, function-local ones included; tests, migrations and conftest.py do not (a test may
reach anywhere). The check that keeps the graph one-way is zghz/tests/test_app_graph.py, which uses the
same functions.
"""

from __future__ import annotations

import ast
import itertools
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "zghz"

# Portals present the domain to people and systems: they may import domain apps, never the reverse.
# ops (probes, metrics, key rotation) reads every app the same way and sits with them.
PORTALS = frozenset({"portal", "backoffice", "api", "mobile", "demo", "ops"})


def apps(root: Path = ROOT) -> list[str]:
    """The Django apps of the project: the packages under zghz/ with an apps.py."""
    return sorted(p.parent.name for p in (root / PACKAGE).glob("*/apps.py"))


def _is_excluded(path: Path, app_dir: Path) -> bool:
    parts = path.relative_to(app_dir).parts
    return (any(part in ("tests", "migrations") for part in parts[:-1])
            or parts[-1] == "conftest.py" or parts[-1].startswith("test_"))


def source_files(app: str, root: Path = ROOT) -> Iterator[Path]:
    app_dir = root / PACKAGE / app
    for path in sorted(app_dir.rglob("*.py")):
        if not _is_excluded(path, app_dir):
            yield path


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, root: Path = ROOT) -> Iterator[tuple[str, int]]:
    """(absolute module name, line) of every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module = _module_name(path, root)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target == PACKAGE:  # from zghz import units
                for alias in node.names:
                    yield f"{PACKAGE}.{alias.name}", node.lineno
            else:
                yield target, node.lineno


def app_of(module: str, known: set[str]) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == PACKAGE and parts[1] in known:
        return parts[1]
    return None


def edges(root: Path = ROOT) -> dict[tuple[str, str], list[str]]:
    """(importer app, imported app) -> where: "path:line" of each import making the edge."""
    known = set(apps(root))
    found: dict[tuple[str, str], list[str]] = {}
    for app in sorted(known):
        for path in source_files(app, root):
            for module, line in imported_modules(path, root):
                target = app_of(module, known)
                if target is not None and target != app:
                    found.setdefault((app, target), []).append(f"{path.relative_to(root)}:{line}")
    return found


def cycles(graph_edges: dict[tuple[str, str], list[str]]) -> list[list[str]]:
    """Every simple cycle of the graph, each starting at its alphabetically first app and ending where
    it started (["coverage", "enrolment", "coverage"]). The graph has a few dozen nodes: a plain
    depth-first search is enough."""
    graph: dict[str, list[str]] = {}
    for a, b in sorted(graph_edges):
        graph.setdefault(a, []).append(b)
    found: list[list[str]] = []

    def walk(start: str, path: list[str]) -> None:
        for nxt in graph.get(path[-1], []):
            if nxt == start:
                found.append([*path, start])
            elif nxt > start and nxt not in path:
                walk(start, [*path, nxt])

    for start in sorted(graph):
        walk(start, [start])
    return sorted(found, key=lambda c: (len(c), c))


def portal_violations(graph_edges: dict[tuple[str, str], list[str]]) -> list[tuple[str, str]]:
    """Imports of a portal by another app: a domain app never imports a portal, and portals do not
    import each other (what two portals share lives in a domain app or core)."""
    return sorted((a, b) for a, b in graph_edges if b in PORTALS)


_RELATIONS = {"ForeignKey", "OneToOneField", "ManyToManyField"}


def model_references(root: Path = ROOT) -> dict[tuple[str, str], list[str]]:
    """(app, referenced app) -> "path:line" of each relation field naming another app's model by its
    "label.Model" string. Not imports, so not part of the import graph: shown for information (the
    database and the migrations depend along these)."""
    known = set(apps(root))
    found: dict[tuple[str, str], list[str]] = {}
    for app in sorted(known):
        for path in source_files(app, root):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
                    continue
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                target = node.args[0].value
                if name in _RELATIONS and isinstance(target, str) and "." in target:
                    label = target.split(".")[0]
                    if label in known and label != app:
                        found.setdefault((app, label), []).append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def main(argv: list[str]) -> int:
    root = Path(argv[0]).resolve() if argv else ROOT
    graph_edges = edges(root)
    print(f"apps: {' '.join(apps(root))}")
    print(f"edges ({len(graph_edges)}), importer -> imported [imports]:")
    for a, b in sorted(graph_edges):
        print(f"  {a} -> {b} [{len(graph_edges[a, b])}]")
    found = cycles(graph_edges)
    print(f"cycles ({len(found)}):")
    for cycle in found:
        print("  " + " -> ".join(cycle))
        for a, b in itertools.pairwise(cycle):
            print(f"      {a} -> {b}: {', '.join(graph_edges[a, b])}")
    bad = portal_violations(graph_edges)
    print(f"imports of a portal ({len(bad)}):")
    for a, b in bad:
        print(f"  {a} -> {b}: {', '.join(graph_edges[a, b])}")
    refs = model_references(root)
    print(f"model references to another app ({len(refs)}), not imports, for information:")
    for a, b in sorted(refs):
        print(f"  {a} -> {b}: {', '.join(refs[a, b])}")
    return 1 if found or bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
