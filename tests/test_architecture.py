"""The layering in DESIGN.md, enforced: import-linter contracts plus what it cannot express."""

import ast
import pathlib
import shutil
import subprocess
import sys

import mpgui

PACKAGE = pathlib.Path(mpgui.__file__).parent


def test_import_linter_contracts_hold():
    exe = shutil.which("lint-imports", path=str(pathlib.Path(sys.executable).parent))
    assert exe, "import-linter is a dev dependency"
    out = subprocess.run([exe], capture_output=True, text=True, cwd=PACKAGE.parent.parent)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


def _imported_modules(path: pathlib.Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_the_bridge_uses_qtcore_only():
    for path in (PACKAGE / "bridge").rglob("*.py"):
        for module in _imported_modules(path):
            if module.startswith("PySide6"):
                assert module == "PySide6.QtCore", f"{path.name} imports {module}"


def test_running_a_scenario_headless_never_loads_qt():
    code = (
        "import sys; from mpgui import scenarios; from mpgui.core.host import runner; "
        "r = runner.run(scenarios.make_spec('pool-map', {'workers': 2, 'tasks': 2, "
        "'task_ms': 1, 'baseline': False})); "
        "assert r['ok'], r; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')]; "
        "assert not bad, bad"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
