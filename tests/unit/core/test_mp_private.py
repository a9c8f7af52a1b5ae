"""Every private multiprocessing name mpgui relies on still exists and does what is relied on,
on the Python running the tests (DESIGN: each supported version runs these)."""

import multiprocessing
import os
import tempfile
import threading
from multiprocessing import resource_tracker
from multiprocessing.connection import wait

from mpgui.core import mp_private
from mpgui.core.protocol import run_names
from mpgui.scenarios.worker_failures.model import no_core_file


def exit_with(code: int) -> None:
    os._exit(code)


def report_core_limit(conn) -> None:
    import resource

    no_core_file()
    conn.send(resource.getrlimit(resource.RLIMIT_CORE)[0])


def test_watch_children_sees_every_start_and_its_undo_puts_a_plain_set_back():
    seen = []
    undo = mp_private.watch_children(seen.append)
    try:
        proc = multiprocessing.get_context("spawn").Process(target=exit_with, args=(0,))
        proc.start()  # a plain context: no class of mpgui's involved
    finally:
        undo()
    proc.join(30)
    assert seen == [proc]
    assert type(multiprocessing.process._children) is set  # noqa: SLF001


def test_reaped_exit_code_is_none_until_the_owner_reaps_and_never_reaps():
    proc = multiprocessing.get_context("spawn").Process(target=exit_with, args=(4,))
    assert mp_private.reaped_exit_code(proc) is None  # not started
    proc.start()
    assert wait([proc.sentinel], 30)  # it has exited ...
    assert mp_private.reaped_exit_code(proc) is None  # ... but nobody has reaped it
    proc.join(30)
    assert mp_private.reaped_exit_code(proc) == 4


def _shm_entries(prefix: str) -> list[str]:
    return [n for n in os.listdir("/dev/shm") if n.startswith("sem." + prefix[1:])]


def test_process_config_names_new_semaphores_and_their_finalizers_are_found():
    prefix = f"/mpgui-test-{os.getpid()}-config"
    before = set(mp_private.semaphore_finalizers())
    with run_names.named(prefix):  # through process_config()["semprefix"]
        assert mp_private.process_config()["semprefix"] == prefix
        lock = multiprocessing.get_context("spawn").Lock()
    assert len(_shm_entries(prefix)) == 1
    (finalizer,) = set(mp_private.semaphore_finalizers()) - before
    del lock  # collected: its finalizer unlinks and unregisters it
    assert not _shm_entries(prefix)
    assert not finalizer.still_active()


def test_sem_unlink_unlinks_a_semaphore_by_its_name():
    prefix = f"/mpgui-test-{os.getpid()}-unlink"
    before = set(mp_private.semaphore_finalizers())
    with run_names.named(prefix):
        lock = multiprocessing.get_context("spawn").Lock()
    (finalizer,) = set(mp_private.semaphore_finalizers()) - before
    (entry,) = _shm_entries(prefix)
    name = "/" + entry[len("sem.") :]
    mp_private.sem_unlink(name)
    assert not _shm_entries(prefix)
    finalizer.cancel()  # unlinked already: its finalizer must not try again ...
    resource_tracker.unregister(name, "semaphore")  # ... and the tracker must forget it
    del lock


def test_a_temp_dir_removal_is_registered_found_and_runs():
    path = tempfile.mkdtemp(prefix="mpgui-test-")
    before = set(mp_private.temp_dir_finalizers())
    mp_private.remove_temp_dir_at_exit(path)
    (mine,) = set(mp_private.temp_dir_finalizers()) - before
    mine()
    assert not os.path.exists(path)


def test_the_tracker_is_busy_while_any_thread_holds_its_lock_this_one_included():
    lock = resource_tracker._resource_tracker._lock  # noqa: SLF001
    assert not mp_private.tracker_busy()
    with lock:  # this thread: an RLock would let it in again, which is the danger
        assert mp_private.tracker_busy()
    held, done = threading.Event(), threading.Event()

    def hold() -> None:
        with lock:
            held.set()
            done.wait(30)

    other = threading.Thread(target=hold)
    other.start()
    try:
        assert held.wait(30)
        assert mp_private.tracker_busy()  # and it did not wait for the other thread
    finally:
        done.set()
        other.join(30)
    assert not mp_private.tracker_busy()


def test_no_core_file_sets_the_soft_core_limit_to_zero():
    ctx = multiprocessing.get_context("spawn")
    reader, writer = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=report_core_limit, args=(writer,))
    proc.start()
    writer.close()
    assert reader.poll(30) and reader.recv() == 0
    proc.join(30)
