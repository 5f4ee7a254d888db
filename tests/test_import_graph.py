"""The apps under loket/ import each other only downward: floors that hold, no cycle.

Every module is parsed (no import runs), every import counted, module-level or inside a
function alike: a function-level import dodges Python's import error, not the dependency.
"""

import ast
from pathlib import Path

import loket

PACKAGE = Path(loket.__file__).parent

# The intended floors, lowest first. An app imports from its own floor (one way only, no
# cycle) or from floors below it; a lower floor that must react to a higher one emits an
# event or offers a registry that the higher app fills in its AppConfig.ready(). The API
# and URL wiring live in config/, above every floor.
FLOORS = (
    ("core", "identity"),  # clock, errors, audit trail, masking, registries; NIK rules
    ("accounts", "offices", "notifications"),  # applicant accounts; offices; the outbox
    ("staff",),  # roles, memberships, the permission table, staff login and portal
    ("capacity",),  # the ledger of places
    ("booking",),  # bookings and their lifecycle
    ("waitlist", "release", "queue", "outreach"),  # the channels
    ("web", "reports", "demo", "sync"),  # the applicant website; reports and planning; the demo
    # loader; office nodes
)

# Edges that would climb a floor or close a cycle and are tolerated: none since issue 13. Keep
# it empty; the test fails when an edge appears that is not here, and when one listed is gone.
KNOWN_EDGES: set[tuple[str, str]] = set()


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, absolute or relative, at any depth of the code."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    return _imports_in(path.read_text(encoding="utf-8"), package=package)


def _imports_in(source: str, *, package: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(base + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.add(base)
            # `from loket import booking` imports an app too.
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _app_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "loket" else None


def app_graph() -> dict[tuple[str, str], set[str]]:
    """(importing app, imported app) -> the files of the importing app that do it."""
    apps = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    edges: dict[tuple[str, str], set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        source = _app_of(_module_name(path))
        if source is None:
            continue
        for module in _imported_modules(path):
            target = _app_of(module)
            if target in apps and target != source:
                edges.setdefault((source, target), set()).add(str(path.relative_to(PACKAGE)))
    return edges


def find_cycles(edges) -> list[list[str]]:
    """The strongly connected components with more than one app (Tarjan), each as a sorted
    list: every app in one of them reaches every other and is reached back."""
    graph: dict[str, set[str]] = {}
    for source, target in edges:
        graph.setdefault(source, set()).add(target)
        graph.setdefault(target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []

    def visit(app: str) -> None:
        index[app] = low[app] = len(index)
        stack.append(app)
        on_stack.add(app)
        for other in sorted(graph[app]):
            if other not in index:
                visit(other)
                low[app] = min(low[app], low[other])
            elif other in on_stack:
                low[app] = min(low[app], index[other])
        if low[app] == index[app]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == app:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for app in sorted(graph):
        if app not in index:
            visit(app)
    return sorted(components)


def _floor(app: str) -> int:
    return next(i for i, floor in enumerate(FLOORS) if app in floor)


def _describe(edges, pairs) -> str:
    return "\n".join(f"  {a} -> {b}: {', '.join(sorted(edges[(a, b)]))}" for a, b in sorted(pairs))


def test_every_app_has_a_floor():
    """Each app under loket/ is placed on exactly one floor."""
    apps = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())
    placed = [app for floor in FLOORS for app in floor]
    assert sorted(placed) == apps
    assert len(placed) == len(set(placed))


def test_no_new_climb_and_no_cycle_between_apps():
    """Apart from the known edges, no app imports from a floor above it, and no set of apps
    imports each other in a circle."""
    edges = app_graph()
    climbing = {(a, b) for a, b in edges if _floor(b) > _floor(a)}
    new = climbing - KNOWN_EDGES
    assert not new, "An app imports from a floor above it:\n" + _describe(edges, new)
    cycles = find_cycles({pair: files for pair, files in edges.items() if pair not in KNOWN_EDGES})
    assert not cycles, "Apps import each other in a circle: " + "; ".join(
        " <-> ".join(cycle) for cycle in cycles
    )


def test_known_edges_only_shrink():
    """Every tolerated edge still exists: one that was removed is deleted from the list, so
    it cannot come back unnoticed."""
    gone = KNOWN_EDGES - set(app_graph())
    assert not gone, f"Delete these from KNOWN_EDGES, they no longer exist: {sorted(gone)}"


def test_the_graph_finds_function_level_imports_and_cycles():
    """The parser sees imports inside functions and relative ones, and a cycle is named."""
    source = (
        "import loket.offices.models\n"
        "from loket import capacity\n"
        "def ready():\n"
        "    from loket.waitlist.services import offer\n"
        "    from .selectors import count\n"
        "    from .. import web\n"
    )
    apps = {_app_of(m) for m in _imports_in(source, package="loket.booking")} - {None}
    assert apps == {"offices", "capacity", "waitlist", "booking", "web"}
    assert find_cycles({("a", "b"): set(), ("b", "c"): set(), ("c", "a"): set()}) == [
        ["a", "b", "c"]
    ]
    assert find_cycles({("a", "b"): set(), ("b", "c"): set()}) == []


# Templates that climb a floor and are tolerated: the applicant website's layout (web) is
# still used by two pages of lower apps. Keep it shrinking, like KNOWN_EDGES.
KNOWN_TEMPLATE_EDGES = {
    ("accounts", "web"): {"accounts/templates/accounts/devices.html"},
    ("release", "web"): {"release/templates/release/room.html"},
}


def template_graph() -> dict[tuple[str, str], set[str]]:
    """(app of a template, app it extends, includes or loads tags from) -> the templates."""
    import re

    from django.template.backends.django import get_installed_libraries

    apps = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    library_app = {name: _app_of(module) for name, module in get_installed_libraries().items()}
    edges: dict[tuple[str, str], set[str]] = {}
    for path in sorted(PACKAGE.glob("*/templates/**/*.html")):
        source = path.relative_to(PACKAGE).parts[0]
        text = path.read_text(encoding="utf-8")
        targets = {m.group(1) for m in re.finditer(r"{%\s*(?:extends|include)\s+[\"'](\w+)/", text)}
        for m in re.finditer(r"{%\s*load\s+([^%]+?)\s*%}", text):
            targets.update(library_app.get(lib) for lib in m.group(1).split())
        for target in targets & apps - {source}:
            edges.setdefault((source, target), set()).add(str(path.relative_to(PACKAGE)))
    return edges


def test_templates_use_only_their_floor_and_below():
    """A template extends, includes and loads tags only from its app's floor or below: the
    staff pages' layout is staff's, the queue's pages extend it, the office node's banner is
    registered into it."""
    edges = template_graph()
    climbing = {pair: files for pair, files in edges.items() if _floor(pair[1]) > _floor(pair[0])}
    assert climbing == KNOWN_TEMPLATE_EDGES
