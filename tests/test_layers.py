"""The package's layers (README, "Code layout"): a module imports only from its own package
and from layers below it, never upwards, and never sideways into another package of its own
layer. Read from the source (every import, those inside functions too), so a lazy import
cannot hide a dependency."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "iopsched"

# layer of each top-level module or package of iopsched (higher may import lower)
LAYERS = {
    "__init__": 0, "domain": 0, "schedule": 0, "errors": 0, "stats": 0,
    "workbook": 1,
    "analysis": 2, "validate": 2, "report": 2, "cpsat": 2, "export": 2, "generate": 2,
    "heuristic": 3,
    "solver": 4,
    "commands": 5,
    "cli": 6, "__main__": 7,
}


def _unit(module: str) -> str:
    """iopsched.solver.solve -> solver; iopsched.domain -> domain."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("iopsched"):
            found.add(node.module)
            if node.module == "iopsched":  # from iopsched import x
                found.update(f"iopsched.{a.name}" for a in node.names if f"{a.name}" in LAYERS)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("iopsched"))
    return found


def test_every_module_belongs_to_a_layer():
    units = {p.stem if p.parent == PACKAGE else p.relative_to(PACKAGE).parts[0]
             for p in PACKAGE.rglob("*.py")}
    assert units <= set(LAYERS), units - set(LAYERS)


def test_no_module_imports_upwards_or_sideways():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        own = rel.stem if len(rel.parts) == 1 else rel.parts[0]
        for module in _imports(path):
            other = _unit(module)
            core = LAYERS[own] == LAYERS[other] == 0  # domain, schedule and errors are one layer
            if other != own and not core and LAYERS[other] >= LAYERS[own]:
                wrong.append(f"{rel}: imports {module} ({own} layer {LAYERS[own]}, {other} layer {LAYERS[other]})")
    assert wrong == []


def test_the_check_sees_a_lazy_upward_import(tmp_path):
    """The test above is not vacuous: an import inside a function is found."""
    src = tmp_path / "m.py"
    src.write_text("def f():\n    from iopsched.solver.solve import solve\n    return solve\n")
    assert _imports(src) == {"iopsched.solver.solve"}
