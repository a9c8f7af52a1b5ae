"""The front door: ``mpgui`` opens the window; ``mpgui list|run|screenshot`` work without one.

Bad input exits 2 with one line on stderr and no traceback; a run that failed exits 1 with
one line on stderr saying why (and its result still printed). Output never fails for the
terminal's sake: on one that cannot show ``—`` or ``·`` they become ASCII, and when the reader
of stdout has gone (``mpgui list | head -1``) mpgui stops quietly with exit status 141, as a
program killed by SIGPIPE would. Qt is imported only by the commands that open a window, so
``mpgui run`` — and every spawn child, which re-imports the main module — starts light.
"""

from __future__ import annotations

import argparse
import codecs
import json
import math
import os
import shutil
import signal
import sys
import textwrap
from typing import Any, NoReturn

from mpgui import __version__

#: Exit status when the reader of stdout went away (128 + SIGPIPE, the shell's convention).
EXIT_BROKEN_PIPE = 141

#: ASCII stand-ins for the few non-ASCII characters mpgui prints, for terminals without them.
_ASCII = {
    "—": "-", "–": "-", "·": "-", "…": "...", "×": "x", "✗": "x", "✓": "v", "→": "->",
    "≤": "<=", "≥": ">=", "µ": "u", "’": "'", "‘": "'", "“": '"', "”": '"', "•": "*",
}  # fmt: skip


def _to_ascii(error: UnicodeError) -> tuple[str, int]:
    """A codec error handler: each character the terminal cannot encode, as ASCII."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start : error.end]
    return "".join(_ASCII.get(char, "?") for char in text), error.end


codecs.register_error("mpgui-ascii", _to_ascii)


def _degrade_output() -> None:
    """Let stdout and stderr fall back to ASCII where their encoding lacks a character.

    For a UTF-8 terminal nothing changes; for ``LC_ALL=C`` or ``PYTHONIOENCODING=ascii`` a
    result is printed with ``-`` for ``—`` instead of being lost to a UnicodeEncodeError.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="mpgui-ascii")
        except (AttributeError, ValueError, OSError):  # not a text stream we can change
            continue


def _silence_stdout() -> None:
    """Point stdout (and stderr, if it too has gone) at /dev/null after a broken pipe.

    Whatever is still buffered would otherwise fail again when Python flushes at exit, and
    print "Exception ignored … BrokenPipeError" (exit status 120).
    """
    streams = [sys.stdout]
    try:
        sys.stderr.flush()
    except (BrokenPipeError, OSError, ValueError):
        streams.append(sys.stderr)
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in streams:
        try:
            os.dup2(devnull, stream.fileno())
        except (AttributeError, ValueError, OSError):
            continue
    os.close(devnull)


class UsageError(Exception):
    """Bad command-line input; the message is the one line printed before exiting 2."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr, exit 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


#: The longest --timeout or --at accepted (s): a day, well inside what Qt timers can hold.
MAX_SECONDS = 86_400.0


def _seconds(text: str) -> float:
    """An argparse type: a finite number of seconds, > 0 and at most :data:`MAX_SECONDS`."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (math.isfinite(value) and 0 < value <= MAX_SECONDS):
        raise argparse.ArgumentTypeError(
            f"must be more than 0 and at most {MAX_SECONDS:g} seconds, got {text!r}"
        )
    return value


#: The zoom range --zoom accepts (a factor; 1.5 is 150 %), as the window's View menu has it.
ZOOM_RANGE = (0.5, 3.0)
#: The themes --theme accepts (the window's own list, named here so `mpgui run` needs no Qt).
THEMES = ("dark", "light", "high-contrast")


def _zoom(text: str) -> float:
    """An argparse type: a zoom factor within :data:`ZOOM_RANGE` ("1.5", or "150%")."""
    low, high = ZOOM_RANGE
    percent = text.strip().endswith("%")
    try:
        value = float(text.strip().removesuffix("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expects a factor such as 1.5, got {text!r}") from None
    if percent:
        value /= 100
    if not (text.isascii() and math.isfinite(value) and low <= value <= high):
        raise argparse.ArgumentTypeError(
            f"must be from {low:g} to {high:g} (50 % to 300 %), got {text!r}"
        )
    return value


def _add_look_args(p: argparse.ArgumentParser, suppress: bool) -> None:
    """--theme, --zoom and --present; on a subcommand, without defaults of their own (which
    would overwrite the same options given before the subcommand)."""
    default: dict[str, Any] = {"default": argparse.SUPPRESS} if suppress else {}
    p.add_argument("--theme", choices=THEMES, help="the window's colours", **default)
    p.add_argument(
        "--zoom", type=_zoom, metavar="F", help="scale text and lines (0.5 to 3)", **default
    )
    p.add_argument(
        "--present",
        action="store_true",
        help="presentation mode: big, high contrast, only what a class needs",
        **default,
    )


def _build_parser() -> argparse.ArgumentParser:
    from mpgui.core.protocol.run_spec import available_start_methods

    methods = available_start_methods()
    parser = _Parser(
        prog="mpgui",
        description="See Python multiprocessing: real worker processes, plotted live.",
    )
    parser.add_argument("--version", action="version", version=f"mpgui {__version__}")
    parser.add_argument("--scenario", metavar="ID", help="open the window on this scenario")
    parser.add_argument("--run", action="store_true", help="start the scenario as the window opens")
    parser.add_argument("--start-method", choices=methods, help="how workers are started")
    parser.add_argument(
        "--set",
        dest="gui_sets",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="fill in a parameter of the scenario the window opens on (repeatable)",
    )
    _add_look_args(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    p_list = sub.add_parser("list", help="list scenarios and their parameters")
    p_list.add_argument("--json", action="store_true", help="print JSON")

    def add_run_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("scenario", metavar="SCENARIO", help="scenario id (see `mpgui list`)")
        p.add_argument(
            "--set",
            dest="sets",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="set a parameter (repeatable)",
        )
        # SUPPRESS: without it the subcommand's default (None) would overwrite a
        # `mpgui --start-method spawn run ...` given before the subcommand.
        p.add_argument(
            "--start-method",
            choices=methods,
            default=argparse.SUPPRESS,
            help="how workers are started",
        )

    p_run = sub.add_parser("run", help="run a scenario without a window")
    add_run_args(p_run)
    p_run.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p_run.add_argument(
        "--timeout", type=_seconds, metavar="S", help="give up after S seconds (up to a day)"
    )

    p_shot = sub.add_parser("screenshot", help="run a scenario in the window and save a PNG")
    add_run_args(p_shot)
    p_shot.add_argument("--out", required=True, metavar="FILE.png", help="where to save")
    p_shot.add_argument(
        "--at",
        type=_seconds,
        metavar="S",
        help="take it S seconds after Run instead of after the run finishes",
    )
    p_shot.add_argument("--size", default="1440x900", metavar="WxH", help="window size")
    _add_look_args(p_shot, suppress=True)
    return parser


def _parse_sets(sets: list[str]) -> dict[str, str]:
    given: dict[str, str] = {}
    for item in sets:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"mpgui: --set expects NAME=VALUE, got {item!r}")
        given[name.strip()] = value
    return given


def _spec_from_args(args: argparse.Namespace):
    from mpgui.core.params import ParamError
    from mpgui.scenarios import make_spec

    try:
        return make_spec(args.scenario, _parse_sets(args.sets), getattr(args, "start_method", None))
    except ParamError as exc:
        raise UsageError(f"mpgui: {exc}") from None


def _cmd_list(args: argparse.Namespace) -> int:
    from mpgui.scenarios import listed

    if args.json:
        out = [
            {
                "id": s.id,
                "title": s.title,
                "summary": s.summary,
                "metrics": list(s.metrics),
                "params": [p.to_json() for p in s.params],
            }
            for s in listed()
        ]
        print(json.dumps(out, indent=2))
        return 0
    width = max(60, shutil.get_terminal_size().columns - 1)
    for s in listed():
        print(_wrapped(f"{s.id:<16} {s.title} — {s.summary}", width, 17))
        for p in s.params:
            allowed = p.bound_text() or (" | ".join(p.choices) if p.choices else "true or false")
            default = ",".join(p.default) if isinstance(p.default, tuple) else str(p.default)
            row = f"    {p.name:<11} default {default:<6} {allowed:<20} "
            if len(row) + len(p.help) <= width:
                print(row + p.help)
            else:  # the help under the row, wrapped: a long row pushed it past the edge
                print(row.rstrip())
                print(_wrapped(" " * 16 + p.help, width, 16))
    return 0


def _wrapped(text: str, width: int, indent: int) -> str:
    """`text` wrapped to `width` columns, its later lines indented by `indent` spaces."""
    return textwrap.fill(text, width, subsequent_indent=" " * indent, break_on_hyphens=False)


def _format_result(result: dict[str, Any]) -> str:
    """A few human-readable lines summarising a run's result dict."""
    from mpgui.ui.tracebacks import fold_traceback
    from mpgui.ui.wording import describe_error

    verdict = "ok" if result["ok"] else f"failed ({result['status']})"
    lines = [
        f"{result['scenario']} · {result['start_method']} · {verdict} in {result['wall_s']:.2f} s"
    ]
    for w in result["workers"]:
        cores = ",".join(map(str, w["cores"])) or "?"
        lines.append(f"  worker pid {w['pid']}: {w['tasks']} tasks, cores {cores}")
    for name, value in result["metrics"].items():
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        lines.append(f"  {name:<14} {text}")
    err = result["error"]
    if err:
        lines.append(f"  error: {describe_error(err)}")
        if err.get("traceback"):
            # The learner's frames; mpgui's and multiprocessing's folded (--json has them all).
            lines.append(fold_traceback(err["traceback"]).rstrip())
    return "\n".join(lines)


def _cmd_run(args: argparse.Namespace) -> int:
    from mpgui.core.host import runner
    from mpgui.ui.wording import failure_line

    spec = _spec_from_args(args)
    # A terminal closing (SIGHUP) or `kill` (SIGTERM) ends the run as Ctrl+C does: cleanly.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    try:
        result = runner.run(spec, timeout=args.timeout)
    except KeyboardInterrupt:
        print("mpgui: interrupted; every process of the run was ended", file=sys.stderr)
        return 130
    broken = False
    try:
        print(json.dumps(result) if args.json else _format_result(result))
        sys.stdout.flush()
    except BrokenPipeError:  # the reader has gone; the reason below still goes to stderr
        _silence_stdout()
        broken = True
    if not result["ok"]:
        print(failure_line(result), file=sys.stderr)
    if broken:
        return EXIT_BROKEN_PIPE
    return 0 if result["ok"] else 1


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


#: The smallest and largest window a screenshot is taken of (px). The smallest is the window's
#: own minimum (main_window.MIN_WIDTH/MIN_HEIGHT; named here so the check needs no Qt). A
#: picture of 8K by 8K is 256 MB of pixels; far past that, Qt's paint engine fails (and has
#: crashed the process).
MIN_SHOT_SIZE = (1024, 720)
MAX_SHOT_SIDE = 8192


def _parse_size(text: str) -> tuple[int, int]:
    """`--size WxH`, both sides within :data:`MIN_SHOT_SIZE` and :data:`MAX_SHOT_SIDE`."""
    w, sep, h = text.lower().partition("x")
    (min_w, min_h), top = MIN_SHOT_SIZE, MAX_SHOT_SIDE
    if not sep or not w.isascii() or not w.isdigit() or not h.isascii() or not h.isdigit():
        raise UsageError(f"mpgui: --size expects WxH in pixels, e.g. 1440x900, got {text!r}")
    width, height = int(w), int(h)
    if not (min_w <= width <= top and min_h <= height <= top):
        raise UsageError(
            f"mpgui: --size must be from {min_w}x{min_h} (the window's minimum) to "
            f"{top}x{top}, got {text!r}"
        )
    return width, height


def _check_out(path: str) -> None:
    """Refuse an --out the picture could never be saved to, before anything runs."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise UsageError(f"mpgui: --out {path!r} is a directory; give a file name, e.g. run.png")
    if not os.path.isdir(folder):
        raise UsageError(f"mpgui: --out {path!r}: folder {folder!r} does not exist")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"mpgui: --out {path!r}: folder {folder!r} is not writable")


def _ensure_display(offscreen_ok: bool) -> None:
    """Without a display, use Qt's offscreen platform if allowed, else fail with a reason."""
    if sys.platform != "linux" or os.environ.get("QT_QPA_PLATFORM"):
        return
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return
    if offscreen_ok:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return
    raise UsageError(
        "mpgui: no display found (set DISPLAY, or QT_QPA_PLATFORM=offscreen for a hidden window)"
    )


def _cmd_screenshot(args: argparse.Namespace) -> int:
    spec = _spec_from_args(args)
    size = _parse_size(args.size)
    _check_out(args.out)
    _ensure_display(offscreen_ok=True)
    from mpgui.ui.app import screenshot

    return screenshot(spec, args.out, size=size, at_s=args.at, look=_look(args))


def _look(args: argparse.Namespace):
    """The --theme, --zoom and --present given, as the window's Look."""
    from mpgui.ui.app import Look

    return Look(
        theme=getattr(args, "theme", None),
        zoom=getattr(args, "zoom", None),
        present=bool(getattr(args, "present", False)),
    )


def _cmd_gui(args: argparse.Namespace) -> int:
    from mpgui.core.params import ParamError
    from mpgui.scenarios import get as get_scenario
    from mpgui.scenarios import listed, make_spec

    params = None
    try:
        scenario = get_scenario(args.scenario) if args.scenario is not None else listed()[0]
        if args.gui_sets:
            # The same refusals as `mpgui run`: a lesson's script fails here, not in the form.
            given = _parse_sets(args.gui_sets)
            make_spec(scenario.id, given, args.start_method)
            params = given
    except ParamError as exc:
        raise UsageError(f"mpgui: {exc}") from None
    _ensure_display(offscreen_ok=False)
    from mpgui.ui.app import run_app

    return run_app(
        scenario=scenario.id,
        start_method=args.start_method,
        run=args.run,
        params=params,
        look=_look(args),
    )


def main(argv: list[str] | None = None) -> int:
    """Run the ``mpgui`` command line; returns the process exit code."""
    _degrade_output()
    try:
        try:
            args = _build_parser().parse_args(argv)
            command = {
                "list": _cmd_list,
                "run": _cmd_run,
                "screenshot": _cmd_screenshot,
                None: _cmd_gui,
            }[args.command]
            code = command(args)
        except UsageError as exc:
            print(str(exc), file=sys.stderr)
            code = 2
        except SystemExit as exc:  # --help and --version print, then exit this way
            code = exc.code if isinstance(exc.code, int) else 0
        sys.stdout.flush()  # here, where a closed pipe can still be handled
        return code
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
