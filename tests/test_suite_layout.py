"""The test suite's own layout: helpers live in tests/support, the conftest files hold only
fixtures and pytest hooks, and no module imports from a conftest (pytest loads those itself)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
FIXTURE_DECORATORS = {"pytest.fixture", "pytest_asyncio.fixture"}


def _modules() -> list[Path]:
    return sorted(TESTS.rglob("*.py"))


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    return ast.unparse(target)


def test_no_module_imports_from_a_conftest() -> None:
    offenders = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module.split(".")[-1] == "conftest":
                    offenders.append(f"{path.relative_to(TESTS)}: from {node.module}")
            elif isinstance(node, ast.Import):
                offenders += [
                    f"{path.relative_to(TESTS)}: import {alias.name}"
                    for alias in node.names
                    if alias.name.split(".")[-1] == "conftest"
                ]
    assert offenders == []


def test_conftest_files_hold_only_fixtures_and_hooks() -> None:
    conftests = sorted(TESTS.rglob("conftest.py"))
    assert TESTS / "conftest.py" in conftests
    offenders = []
    for path in conftests:
        for node in ast.parse(path.read_text()).body:
            where = f"{path.relative_to(TESTS)}:{node.lineno}"
            if isinstance(node, ast.ClassDef):
                offenders.append(f"{where} class {node.name}")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                decorators = {_decorator_name(d) for d in node.decorator_list}
                if not decorators & FIXTURE_DECORATORS and not node.name.startswith("pytest_"):
                    offenders.append(f"{where} def {node.name}")
    assert offenders == [], "helpers belong in tests/support"
