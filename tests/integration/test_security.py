"""What listens is reachable only from this machine and only with a fresh key; nothing mpgui
reads is unpickled except its own processes' events on its own pipes."""

import ast
import multiprocessing
import os
import pathlib
import stat
from multiprocessing.connection import Client

import pytest

from mpgui.core.child.run_context import RunContext

SRC = pathlib.Path(__file__).parents[2] / "src" / "mpgui"


def test_a_runs_manager_listens_privately_with_a_fresh_random_key():
    ctx = RunContext(multiprocessing.get_context("spawn"), None, None, None)
    with ctx.manager() as manager:
        address, key = manager.address, manager._authkey
        # A Unix socket (no network at all), in a directory only this user may enter.
        assert isinstance(address, str)
        assert stat.S_IMODE(os.stat(os.path.dirname(address)).st_mode) == 0o700
        # Not the key every process of the run inherits: 32 fresh random bytes.
        assert len(key) == 32 and key != bytes(multiprocessing.current_process().authkey)
        with pytest.raises(multiprocessing.AuthenticationError):
            Client(address, authkey=bytes(multiprocessing.current_process().authkey))
        Client(address, authkey=key).close()  # the right key gets in


def test_scenarios_start_managers_only_through_the_run_context():
    models = sorted((SRC / "scenarios").glob("*/model.py"))
    assert len(models) >= 5  # the check looks where the scenarios are
    for path in models:
        assert ".Manager(" not in path.read_text(), f"{path.parent.name}: use ctx.manager()"


def test_only_the_event_frames_are_unpickled():
    """No file mpgui reads is a pickle: results are JSON (``mpgui run --json``)."""
    readers = set()
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text())
        # ``pickle.loads(pickle.dumps(x))`` reads back only what it just made (when-not-to
        # times a pool's pickling that way): nothing from outside the process.
        round_trips = {
            id(node.func)
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "loads"
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Call)
            and isinstance(node.args[0].func, ast.Attribute)
            and node.args[0].func.attr == "dumps"
        }
        for node in ast.walk(tree):
            if id(node) in round_trips:
                continue
            if isinstance(node, ast.Attribute) and node.attr in ("load", "loads", "Unpickler"):
                if isinstance(node.value, ast.Name) and node.value.id in ("pickle", "marshal"):
                    readers.add(path.relative_to(SRC).as_posix())
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names]
                assert "shelve" not in names and "dill" not in names, path
    # frames.py decodes what the run's own processes put on the run's own pipes.
    assert readers == {"core/protocol/frames.py"}
