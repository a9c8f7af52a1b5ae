"""The command line, as a user runs it: real subprocesses, exit codes, stderr."""

import json
import os
import signal
import subprocess
import sys

import psutil
import pytest

from tests.process_tree import run_shm, run_temp_dirs, start_run_tree, wait_for


def mpgui(*args, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "mpgui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_list_json_describes_scenarios_and_their_parameters():
    out = mpgui("list", "--json")
    assert out.returncode == 0, out.stderr
    scenarios = {s["id"]: s for s in json.loads(out.stdout)}
    params = {p["name"]: p for p in scenarios["pool-map"]["params"]}
    assert params["workers"]["min"] == 1 and params["workers"]["max"] == 256
    assert set(params) == {"workers", "tasks", "task_ms", "chunksize", "baseline"}
    methods = {p["name"]: p for p in scenarios["start-methods"]["params"]}["methods"]
    assert methods["type"] == "multi" and methods["default"] == methods["choices"]


def test_run_json_prints_one_result_object():
    out = mpgui(
        "run",
        "pool-map",
        "--set",
        "workers=2",
        "--set",
        "tasks=6",
        "--set",
        "task_ms=5",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert set(result) >= {
        "scenario",
        "params",
        "start_method",
        "ok",
        "wall_s",
        "workers",
        "metrics",
        "error",
    }
    assert result["ok"] is True and result["error"] is None
    assert len({w["pid"] for w in result["workers"]}) == 2
    assert set(result["metrics"]) == {
        "serial_s",
        "parallel_s",
        "speedup",
        "efficiency",
        "tasks_per_s",
        "cores",
        "startup_s",
        "gather_s",
        "serial_fraction",
    }


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "pool-map", "--set", "workers=0"], "workers: must be from 1 to 256, got 0"),
        (["run", "pool-map", "--set", "workers=abc"], "'abc' is not a whole number"),
        (["run", "pool-map", "--set", "workers=10**9"], "'10**9' is not a whole number"),
        (["run", "pool-map", "--set", "workers=1000000000"], "from 1 to 256, got 1000000000"),
        (["run", "worker-failures", "--set", "failure=explode"], "'explode' is not one of"),
        (["run", "pool-map", "--start-method", "spawn", "--set", "tasks=-1"], "got -1"),
        (["run", "pool-map", "--set", "workers=٣"], "workers: use the digits 0-9, got '٣'"),
        (["run", "pool-map", "--set", "task_ms=１.５"], "task_ms: use the digits 0-9, got '１.５'"),
        (["run", "pool-map", "--set", "bogus=1"], "unknown parameter 'bogus'"),
        (["run", "pool-map", "--set", "workers"], "--set expects NAME=VALUE"),
        (["run", "no-such-scenario"], "unknown scenario 'no-such-scenario'"),
        (["run", "counter-race", "--set", "workers=1"], "workers: must be from 2 to 32, got 1"),
        (["run", "counter-race", "--set", "mode=racy"], "'racy' is not one of both, unlocked"),
        (["run", "start-methods", "--set", "methods=fork,threads"], "'threads' is not one of"),
        (["run", "start-methods", "--set", "methods="], "methods: choose at least one of"),
        (["run", "pool-map", "--start-method", "threads"], "invalid choice: 'threads'"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["--scenario", "nope"], "unknown scenario 'nope'"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_traceback(args, needle):
    out = mpgui(*args)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert needle in lines[0]
    assert "Traceback" not in out.stderr


LONG_RUN = [
    "run", "pool-map", "--set", "workers=2", "--set", "tasks=100000",
    "--set", "task_ms=0.2", "--set", "baseline=false",
]  # fmt: skip


def _start_long_run(**popen_args):
    """`mpgui run` of a long pool-map; returns it and its conductor's tree, workers included."""
    return start_run_tree(LONG_RUN, descendants=2, **popen_args)


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_an_interrupted_run_ends_every_process_and_exits_130(how):
    # Its own session, like a terminal's foreground job: Ctrl+C goes to that group.
    cli, tree = _start_long_run(
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},  # SIGABRT prints every thread's stack
    )
    try:
        if how == "ctrl-c":  # the terminal sends SIGINT to the whole foreground group
            os.killpg(cli.pid, signal.SIGINT)
        else:  # `kill PID`, a service manager: only the host gets it
            cli.send_signal(signal.SIGTERM)
        try:
            _, stderr = cli.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            # Say where it is stuck: faulthandler dumps the stacks on SIGABRT.
            cli.send_signal(signal.SIGABRT)
            _, stuck = cli.communicate()
            pytest.fail(f"mpgui run did not exit within 10 s of {how}; its stacks:\n{stuck}")
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
    assert cli.returncode == 130
    assert stderr.strip().splitlines() == ["mpgui: interrupted; every process of the run was ended"]
    _, alive = psutil.wait_procs(tree, timeout=3)
    assert not alive, alive


def test_the_window_without_a_display_says_so_and_exits_2():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    out = subprocess.run(
        [sys.executable, "-m", "mpgui"], capture_output=True, text=True, timeout=30, env=env
    )
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "mpgui: no display found (set DISPLAY, or QT_QPA_PLATFORM=offscreen for a hidden window)"
    ]


MANAGER_RUN = ["run", "manager-list", "--set", "workers=2", "--set", "items=1000000"]
#: web-fetch's serial part (30 s of pages): its page server runs, and is what is killed.
WEB_RUN = ["run", "web-fetch", "--set", "workers=2", "--set", "urls=200"]


@pytest.mark.parametrize(
    ("run", "descendants"),
    [(LONG_RUN, 2), (MANAGER_RUN, 3), (WEB_RUN, 1)],
    ids=["pool", "manager", "page-server"],
)
def test_a_killed_host_takes_its_conductor_and_workers_with_it(run, descendants):
    # pool: the conductor and its 2 pool workers; manager: also the Manager's server process;
    # page-server: the conductor and web-fetch's HTTP server, mid-fetch.
    cli, tree = start_run_tree(
        run, descendants=descendants, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    cli.send_signal(signal.SIGKILL)  # no handler, no cleanup: the host just vanishes
    cli.wait(5)
    _, alive = psutil.wait_procs(tree, timeout=3)
    assert not alive, alive
    # The host could not unlink its queue's semaphores: its resource tracker does (and says
    # so on stderr, as it should after a crash). Nothing is left in /dev/shm.
    cli.communicate()  # read and close its stderr
    assert wait_for(lambda: not run_shm(cli.pid), 3)
    assert wait_for(lambda: not run_temp_dirs(cli.pid), 3)


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
@pytest.mark.parametrize("how", ["sigkill", "sigstop-then-ctrl-c"])
def test_a_killed_conductor_leaves_no_semaphore_and_no_warning(method, how):
    # Under spawn and forkserver the run's locks are files in /dev/shm, registered with the
    # host's resource tracker: a conductor that dies cannot unlink them; its host does.
    cli, tree = start_run_tree(
        [*LONG_RUN, "--start-method", method, "--json"], descendants=2,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    conductor = tree[0]
    assert wait_for(lambda: run_shm(cli.pid), 5)  # the run's semaphores, while it runs
    if how == "sigkill":
        conductor.kill()
        expected_rc, line = (
            1,
            "mpgui: the run failed: ConductorDied: the conductor was killed by SIGKILL",
        )
    else:
        conductor.suspend()  # SIGSTOP: it can do nothing about what comes next
        os.killpg(cli.pid, signal.SIGINT)  # Ctrl+C in the host's terminal
        expected_rc, line = 130, "mpgui: interrupted; every process of the run was ended"
    out, err = cli.communicate(timeout=15)
    assert cli.returncode == expected_rc, err
    assert err.strip().splitlines() == [line]  # no "leaked semaphore" warning, no traceback
    _, alive = psutil.wait_procs(tree, timeout=3)
    assert not alive, alive
    assert not run_shm(cli.pid)
    assert not run_temp_dirs(cli.pid)  # a forkserver's socket, and the like


SHORT_RUN = ["run", "pool-map", "--set", "workers=2", "--set", "tasks=4", "--set", "task_ms=5"]


@pytest.mark.parametrize(
    "env",
    [
        {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
        {"PYTHONIOENCODING": "ascii"},
        {"PYTHONIOENCODING": "iso-8859-1"},
    ],
    ids=["C-locale", "ascii", "latin-1"],
)
@pytest.mark.parametrize("args", [["list"], SHORT_RUN], ids=["list", "run"])
def test_a_terminal_without_utf_8_gets_every_line_in_what_it_can_show(env, args):
    out = subprocess.run(
        [sys.executable, "-m", "mpgui", *args],
        capture_output=True,
        env={**os.environ, **env},
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == b""
    encoding = "iso-8859-1" if "iso" in str(env) else "ascii"
    text = out.stdout.decode(encoding)  # every byte is the terminal's own
    first = text.splitlines()[0]
    if args == ["list"]:
        line = next(x for x in text.splitlines() if x.startswith("pool-map "))
        assert " - CPU-bound" in line  # "—" became "-"
    else:
        assert first.startswith("pool-map ") and "ok in" in first  # the result, not lost


@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize("args", [["list"], ["list", "--json"], [*SHORT_RUN, "--json"]])
def test_a_reader_that_goes_away_ends_mpgui_quietly_with_141(args, unbuffered):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before the first line (`| true`)
    cli = subprocess.Popen(
        [sys.executable, "-m", "mpgui", *args],
        stdout=write_end,
        stderr=subprocess.PIPE,
        env=env,
    )
    os.close(write_end)
    _, err = cli.communicate(timeout=60)
    assert err == b""
    assert cli.returncode == 141


def test_a_failed_run_prints_its_result_and_one_line_on_stderr():
    out = mpgui("run", "worker-failures", "--set", "failure=exit", "--set", "tasks=4",
                "--set", "fail_task=1", "--set", "task_ms=5", "--json")  # fmt: skip
    assert out.returncode == 1
    result = json.loads(out.stdout)
    assert result["error"]["type"] == "WorkerFailed"
    assert out.stderr.splitlines() == [
        f"mpgui: the run failed: WorkerFailed: worker {result['error']['pid']} exited with code 3"
        " · task 1"
    ]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--size", "100000x100000"], "--size must be from 1024x720 (the window's minimum)"),
        (["--size", "99999999999999999999x300"], "--size must be from 1024x720"),
        (
            ["--size", "1023x768"],
            "--size must be from 1024x720 (the window's minimum) to 8192x8192",
        ),
        (["--size", "1280x719"], "--size must be from 1024x720"),
        (["--size", "1440×900"], "--size expects WxH in pixels"),
        (["--theme", "sepia"], "argument --theme: invalid choice: 'sepia'"),
        (["--zoom", "4"], "--zoom: must be from 0.5 to 3 (50 % to 300 %), got '4'"),
        (["--zoom", "big"], "--zoom: expects a factor such as 1.5, got 'big'"),
        (["--out", "/tmp"], "is a directory"),
        (["--out", "/no/such/folder/shot.png"], "does not exist"),
    ],
)
def test_screenshot_refuses_what_it_could_never_do_before_running(args, needle, tmp_path):
    if "--out" not in args:
        args = [*args, "--out", str(tmp_path / "shot.png")]
    cli = subprocess.Popen(
        [sys.executable, "-m", "mpgui", "screenshot", "pool-map", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    _, err = cli.communicate(timeout=30)
    assert cli.returncode == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], err
    assert not os.path.exists(tmp_path / "shot.png")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--scenario", "pool-map", "--set", "workers=0"], "mpgui: workers: "),
        (["--scenario", "pool-map", "--set", "workers=٣"], "use the digits 0-9"),
        (["--scenario", "pool-map", "--set", "nosuch=1"], "nosuch"),
        (["--scenario", "pool-map", "--set", "workers"], "--set expects NAME=VALUE"),
        (["--scenario", "nosuch"], "nosuch"),
        (["--theme", "sepia"], "invalid choice: 'sepia'"),
        (["--zoom", "0.2"], "must be from 0.5 to 3"),
    ],
)
def test_a_prepared_lesson_with_bad_values_is_refused_before_any_window(args, needle):
    # No display here: a refusal must come before mpgui even looks for one.
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    out = subprocess.run(
        [sys.executable, "-m", "mpgui", *args], capture_output=True, text=True, env=env,
        timeout=30,
    )  # fmt: skip
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in out.stderr, out.stderr


def test_screenshot_is_exactly_the_size_asked_in_every_look(tmp_path):
    from PySide6.QtGui import QImage

    for extra in (["--theme", "light"], ["--present"], ["--zoom", "2", "--theme", "high-contrast"]):
        out = tmp_path / "shot.png"
        done = mpgui("screenshot", "pool-map", "--set", "tasks=4", "--set", "task_ms=2",
                     "--size", "1024x768", "--out", str(out), *extra)  # fmt: skip
        assert done.returncode == 0, done.stderr
        image = QImage(str(out))
        assert (image.width(), image.height()) == (1024, 768), extra


def test_a_failed_run_whose_reader_went_away_still_says_why_on_stderr():
    read_end, write_end = os.pipe()
    os.close(read_end)
    cli = subprocess.Popen(
        [sys.executable, "-m", "mpgui", "run", "worker-failures", "--set", "failure=exit",
         "--set", "tasks=4", "--set", "fail_task=1", "--set", "task_ms=5", "--json"],
        stdout=write_end, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    os.close(write_end)
    _, err = cli.communicate(timeout=60)
    assert cli.returncode == 141
    assert err.startswith("mpgui: the run failed: WorkerFailed: worker ") and err.count("\n") == 1
