"""The layering in DESIGN.md, enforced: import-linter contracts plus what it cannot express."""

import ast
import pathlib
import re
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


def test_the_cli_run_command_and_its_wording_never_load_qt():
    # `mpgui run` says a failure with mpgui.ui.wording: importing it must not import the
    # window (mpgui.ui imports MainWindow only when asked for it).
    code = (
        "import sys; from mpgui import cli; "
        "rc = cli.main(['run', 'pool-map', '--set', 'workers=2', '--set', 'tasks=2', "
        "'--set', 'task_ms=1', '--set', 'baseline=false', '--json']); "
        "assert rc == 0, rc; "
        "from mpgui.ui import wording; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')]; "
        "assert not bad, bad; "
        "assert 'mpgui.ui.wording' in sys.modules and 'mpgui.ui.main_window' not in sys.modules"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert '"ok": true' in out.stdout


def test_the_ui_package_still_gives_the_window_by_name():
    code = (
        "import sys; import mpgui.ui as ui; assert 'PySide6' not in sys.modules; "
        "from mpgui.ui import MainWindow; assert MainWindow.__name__ == 'MainWindow'; "
        "assert ui.MainWindow is MainWindow and 'PySide6' in sys.modules"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


#: multiprocessing's private names that mpgui needs (see mpgui.core.mp_private, the one module
#: allowed to name them), plus faulthandler's crash helper. mpgui's own classes may not name
#: attributes after them either, so that one search finds every use.
PRIVATE_NAMES = re.compile(
    r"\b_(children|pool|popen|reader|writer|wlock|sem|semlock|after_fork|finalizer_registry"
    r"|resource_tracker|send|callback|cleanup|config|remove_temp_dir|is_owned|multiprocessing"
    r"|recursion_count)\b|_sigsegv"
)
PRIVATE_MODULE = PACKAGE / "core" / "mp_private.py"


def test_multiprocessing_internals_are_named_in_one_module_only():
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != PRIVATE_MODULE
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if PRIVATE_NAMES.search(line)
    ]
    assert not found, "private multiprocessing names outside core/mp_private.py:\n" + "\n".join(
        found
    )
    # ... and that module says, for each name it uses, why.
    text = PRIVATE_MODULE.read_text(encoding="utf-8")
    doc = ast.get_docstring(ast.parse(text))
    used = {m.group(0) for m in PRIVATE_NAMES.finditer(text.replace(doc, ""))}
    assert used, "the search finds nothing in the one module that needs it: is it still right?"
    assert all(name in doc for name in used), used - {n for n in used if n in doc}
