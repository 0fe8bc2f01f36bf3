"""The engine's packages and which may import which: the import graph read from the source, not from memory."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import engine

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "engine"
# Each package of engine/ and the packages it may import. Lower layers never import higher ones.
MAY_IMPORT = {
    "core": set(),
    "sandbox": {"core"},
    "time": {"core"},
    "definitions": {"core", "sandbox", "time"},
    "records": {"core", "time", "definitions"},
    "runtime": {"core", "sandbox", "time", "definitions", "records"},
    "work": {"core", "sandbox", "time", "definitions", "records", "runtime"},
}
FORBIDDEN_IN_ENGINE = ("flask", "werkzeug", "web")


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, absolute module, imported names) of every import in a file, relative ones resolved."""
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else ()
            module = ".".join((*base, node.module) if node.module else base)
            found.append((node.lineno, module, [alias.name for alias in node.names]))
    return found


def _engine_files():
    return sorted(p for p in ENGINE.rglob("*.py") if "migrations" not in p.parts)


def _package_of(module: str, names: list[str]) -> list[str]:
    """The engine packages an import reaches (`from engine import runtime` reaches runtime)."""
    parts = module.split(".")
    if parts[0] != "engine":
        return []
    if len(parts) > 1:
        return [parts[1]]
    return [name for name in names if name in MAY_IMPORT]


def test_every_engine_module_lives_in_a_declared_package():
    loose = [p.name for p in ENGINE.glob("*.py") if p.name != "__init__.py"]
    packages = {p.name for p in ENGINE.iterdir() if (p / "__init__.py").exists()}
    assert loose == [], "engine/ holds packages only"
    assert packages == set(MAY_IMPORT)


@pytest.mark.parametrize("path", _engine_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_engine_packages_import_only_lower_layers(path):
    own = path.relative_to(ENGINE).parts[0]
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {module}"
             for line, module, names in _imports(path)
             for target in _package_of(module, names)
             if target != own and target not in MAY_IMPORT[own]]
    assert wrong == []


@pytest.mark.parametrize("path", _engine_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_engine_never_imports_the_web(path):
    wrong = [f"{line}: {module}" for line, module, _ in _imports(path)
             if module.split(".")[0] in FORBIDDEN_IN_ENGINE or module.startswith("flask_")]
    assert wrong == []


def _web_files():
    return sorted((ROOT / "web").rglob("*.py"))


@pytest.mark.parametrize("path", _web_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_web_imports_only_the_public_surface_of_engine_packages(path):
    """web/ reaches the engine through each package's __init__ and only the names it declares public."""
    wrong = []
    for line, module, names in _imports(path):
        parts = module.split(".")
        if parts[0] != "engine":
            continue
        if len(parts) != 2 or parts[1] not in MAY_IMPORT:
            wrong.append(f"{line}: {module} is not a package surface")
            continue
        public = set(getattr(__import__(module, fromlist=["__all__"]), "__all__", ()))
        wrong += [f"{line}: {module}.{name} is not in its __all__" for name in names if name not in public]
    assert wrong == []


def test_the_readme_names_every_package_and_its_imports():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for package, allowed in MAY_IMPORT.items():
        row = next((line for line in readme.splitlines() if line.startswith(f"| `engine/{package}/`")), None)
        assert row is not None, package
        cell = row.split("|")[2]
        assert {w.strip("` ") for w in cell.split(",") if w.strip("` —")} == allowed, package


def test_engine_has_no_public_surface_of_its_own():
    assert not [name for name in vars(engine) if not name.startswith("_") and name not in MAY_IMPORT]
