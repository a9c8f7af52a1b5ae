"""A conductor's quick ending releases its semaphores for real — or skips them, correctly —
even when it interrupted its own resource tracker (the tracker's lock is an RLock: a
non-blocking acquire succeeds in the thread that holds it)."""

import subprocess
import sys
import textwrap

#: Run in a fresh interpreter with warnings as errors: it makes a semaphore the way a run
#: does (spawn context, so it is named and registered with a resource tracker of its own),
#: then releases it with the tracker's lock held — by this very thread, as when the SIGTERM
#: handler interrupts the main thread inside the tracker, and by another thread — and then
#: with the lock free.
SCRIPT = textwrap.dedent(
    """
    import os, sys, threading, multiprocessing
    from multiprocessing import resource_tracker
    from mpgui.core import mp_private
    from mpgui.core.child import teardown
    from mpgui.core.protocol import run_names

    prefix = f"/mpgui-test-{os.getpid()}-teardown"

    def entries():
        return [n for n in os.listdir("/dev/shm") if n.startswith("sem." + prefix[1:])]

    with run_names.named(prefix):
        lock = multiprocessing.get_context("spawn").Lock()
    assert len(entries()) == 1 and len(mp_private.semaphore_finalizers()) == 1

    tracker_lock = resource_tracker._resource_tracker._lock
    with tracker_lock:  # this thread holds it: releasing now would re-enter the tracker
        assert teardown.release_semaphores() is False
    assert len(entries()) == 1, "unlinked while skipped"
    assert len(mp_private.semaphore_finalizers()) == 1, "its finalizer is gone"

    held, done = threading.Event(), threading.Event()
    def hold():
        with tracker_lock:
            held.set()
            done.wait(30)
    other = threading.Thread(target=hold)
    other.start()
    assert held.wait(30)
    assert teardown.release_semaphores() is False  # at once: it does not wait for the lock
    done.set()
    other.join(30)
    assert len(entries()) == 1

    assert teardown.release_semaphores() is True  # the lock is free: released for real
    assert entries() == [], "not unlinked"
    assert mp_private.semaphore_finalizers() == []
    print("released", flush=True)
    # Exiting now, the tracker warns about any semaphore still registered with it (one
    # unlinked but not unregistered would be): stderr must stay empty.
    """
)


def test_release_semaphores_skips_while_the_tracker_is_in_use_and_then_releases_for_real():
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", SCRIPT], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == "released\n"
    assert out.stderr == ""  # no reentrancy warning, no "leaked semaphore" from the tracker
