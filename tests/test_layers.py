"""The import graph points one way: foundation → domain packages → flows → interface → main.

Every `import` under `src/portico` counts, a function-level or `TYPE_CHECKING` one included (a
function-level import hides a dependency; it does not remove it).

- Foundation: the modules in `FOUNDATION`. They import nothing above them.
- Domain: every other package (`wallets`, `security`, ...), each one unit.
- Flows: `portico.flows.*` (an account with its workspace, roles and MFA; completing a sign-in;
  a sandbox workspace's seeding; the demo) and partner onboarding (`onboarding.service`, which
  opens accounts with KYC profiles, files and customer data).
- Interface: what serves requests or jobs: routers, FastAPI dependencies, middleware, the
  exception handlers, the pages, the job tasks.
- Main: the entry points: the app factory, the `portico` command, Alembic's environment.

A module imports only from its own layer or one below, and the graph of units (a domain
package; any other module on its own) has no cycle, so no two domain packages depend on each
other.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
FOUNDATION_LAYER, DOMAIN_LAYER, FLOWS_LAYER, INTERFACE_LAYER, MAIN_LAYER = range(5)
LAYER_NAMES = ["foundation", "domain", "flows", "interface", "main"]

FOUNDATION = {
    "portico",
    "portico.caller",
    "portico.config",
    "portico.crypto",
    "portico.db",
    "portico.email_address",
    "portico.enums",
    "portico.envelope",
    "portico.errors",
    "portico.ids",
    "portico.paging",
    "portico.pii",
    "portico.tenancy",
}
FLOWS = {"portico.flows", "portico.onboarding.service"}
INTERFACE_PACKAGES = {"portico.pages"}
INTERFACE_MODULES = {
    "portico.deps",  # the request's dependencies (the runtime's parts, the unit of work)
    "portico.runtime",  # the process's runtime, built by the app factory
    "portico.models",  # every model, for Alembic and the tests
    "portico.openapi",
    "portico.jobs.app",
    "portico.jobs.tasks",
    "portico.jobs.worker",
    "portico.issuer.idempotent",  # replays of the issuer API's requests
    "portico.web.context",
    "portico.web.docs",
    "portico.web.fast_reads",  # the hot reads' short path, beside the routes
    "portico.web.fast_transfers",  # a payment's short path, beside the route
    "portico.web.handlers",
    "portico.web.routing",
}
INTERFACE_LEAVES = {"router", "routes", "deps", "middleware"}
MAIN = {"portico.main", "portico.cli", "portico.migrations.env"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {
    module_name(path): path
    for path in (SRC / "portico").rglob("*.py")
    if "versions" not in path.parts
}


def within(name: str, prefixes: set[str]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def layer_of(name: str) -> int:
    if name in FOUNDATION:
        return FOUNDATION_LAYER
    if within(name, MAIN):
        return MAIN_LAYER
    leaf = name.rsplit(".", 1)[-1]
    if (
        within(name, INTERFACE_PACKAGES)
        or name in INTERFACE_MODULES
        or leaf in INTERFACE_LEAVES
        or leaf.endswith("_router")
    ):
        return INTERFACE_LAYER
    if within(name, FLOWS):
        return FLOWS_LAYER
    return DOMAIN_LAYER


def unit_of(name: str) -> str:
    """A domain module's unit is its package; any other module is a unit of its own."""
    if layer_of(name) == DOMAIN_LAYER:
        return ".".join(name.split(".")[:2])
    return name


def imported(name: str, path: Path) -> set[str]:
    """The portico modules `name` imports, anywhere in the file."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from portico.x import y` imports the module portico.x.y when there is one
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target.startswith("portico") and target != name:
                found.add(target)
    return found


GRAPH = {name: imported(name, path) for name, path in MODULES.items()}


def test_every_import_points_down_or_sideways() -> None:
    upward = sorted(
        f"{name} ({LAYER_NAMES[layer_of(name)]}) imports {target} ({LAYER_NAMES[layer_of(target)]})"
        for name, targets in GRAPH.items()
        for target in targets
        if layer_of(target) > layer_of(name)
    )
    assert upward == []


def unit_cycles() -> list[list[str]]:
    """The unit graph's strongly connected components of more than one unit (Tarjan)."""
    edges: dict[str, set[str]] = defaultdict(set)
    for name, targets in GRAPH.items():
        for target in targets:
            if unit_of(target) != unit_of(name):
                edges[unit_of(name)].add(unit_of(target))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[list[str]] = []

    def visit(unit: str) -> None:
        index[unit] = low[unit] = len(index)
        stack.append(unit)
        for other in sorted(edges[unit]):
            if other not in index:
                visit(other)
                low[unit] = min(low[unit], low[other])
            elif other in stack:
                low[unit] = min(low[unit], index[other])
        if low[unit] == index[unit]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == unit:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for unit in sorted({unit_of(name) for name in MODULES}):
        if unit not in index:
            visit(unit)
    return components


def test_no_two_units_depend_on_each_other() -> None:
    assert unit_cycles() == []


@pytest.mark.parametrize(
    ("name", "layer"),
    [
        ("portico.tenancy", FOUNDATION_LAYER),
        ("portico.wallets.service", DOMAIN_LAYER),
        ("portico.flows.accounts", FLOWS_LAYER),
        ("portico.wallets.router", INTERFACE_LAYER),
        ("portico.issuer.backoffice_router", INTERFACE_LAYER),
        ("portico.main", MAIN_LAYER),
    ],
)
def test_modules_are_placed_in_their_layer(name: str, layer: int) -> None:
    assert name in MODULES
    assert layer_of(name) == layer


def test_the_checker_sees_function_level_imports(tmp_path: Path) -> None:
    module = tmp_path / "probe.py"
    module.write_text("def f():\n    from portico.main import create_app\n")
    assert imported("portico.probe", module) == {"portico.main"}
