"""Tracebacks as a learner reads them: their own frames shown, mpgui's plumbing folded away.

A scenario's exception reaches the log through mpgui's conductor and, from a worker, through
multiprocessing's pool or executor machinery: of the dozen frames in such a traceback, the
two or three in the code the learner reads are the ones that teach. :func:`fold_traceback`
keeps every header, chain sentence and exception line and every frame of the learner's code
(a scenario's own folder under ``mpgui/scenarios/``, and anything outside mpgui), and replaces
each run of frames of mpgui's own packages and of ``multiprocessing`` /
``concurrent.futures`` with one line saying how many were hidden.

Python prints a chained traceback cause first, so the worker's part — multiprocessing sends
it back as a ``RemoteTraceback`` wrapped in triple quotes — already comes first; the fold keeps
that order (reordering would make "the above exception" point at the wrong part), unwraps the
quotes and labels the part "In the worker process:".

Qt-free: the CLI's human output folds with it too. The ``--json`` result keeps the raw text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

#: The sentences Python puts between the parts of a chained traceback.
CHAIN_SENTENCES = (
    "The above exception was the direct cause of the following exception:",
    "During handling of the above exception, another exception occurred:",
)
#: The label of a traceback a worker process sent back.
WORKER_LABEL = "In the worker process:"

# `  File "path", line 12, in name` — with the `  | ` margin of an exception group's parts.
_FRAME = re.compile(r'^(?P<lead>[ |]*?)(?P<indent> *)File "(?P<path>[^"]*)", line \d+')
# multiprocessing.pool.RemoteTraceback, concurrent.futures.process._RemoteTraceback.
_REMOTE = re.compile(r"^\S*RemoteTraceback: ?$")
_QUOTES = '"""'
# mpgui's own modules (not a scenario's folder: that is the code the learner reads).
_MPGUI = re.compile(
    r"[/\\]mpgui[/\\](?:(?:core|bridge|ui|resources)[/\\]"
    r"|scenarios[/\\]__init__\.py$|(?:cli|__main__|__init__)\.py$)"
)
# The standard library's process machinery ("Lib\" on Windows, "lib/python3.12/" elsewhere).
_STDLIB = re.compile(
    r"(?i)[/\\]lib[/\\](?:python3\.\d+t?[/\\])?(multiprocessing|concurrent[/\\]futures)[/\\]"
)


def frame_owner(path: str) -> str | None:
    """Whose plumbing the file `path` is: ``"mpgui"``, ``"multiprocessing"``,
    ``"concurrent.futures"``, or None for the learner's code (shown)."""
    if _MPGUI.search(path):
        return "mpgui"
    found = _STDLIB.search(path)
    if found:
        return "multiprocessing" if found[1] == "multiprocessing" else "concurrent.futures"
    return None


def fold_traceback(text: str) -> str:
    """`text` with each run of mpgui's and multiprocessing's frames folded into one line.

    Lines that are not a traceback's frames pass through unchanged, so any log message may
    be given; text without a frame is returned as it is.
    """
    if 'File "' not in text:
        return text
    parts = [_fold_part(part) for part in _split_chain(text.splitlines())]
    out: list[str] = []
    for sentence, lines in parts:
        if sentence:
            out += ["", sentence, ""]
        out += lines
    return "\n".join(out)


def _split_chain(lines: list[str]) -> Iterator[tuple[str, list[str]]]:
    """Each part of a chained traceback: (the sentence before it or "", its lines)."""
    sentence, part = "", []
    for line in lines:
        if line.strip() in CHAIN_SENTENCES:
            yield sentence, _trim(part)
            sentence, part = line.strip(), []
        else:
            part.append(line)
    yield sentence, _trim(part)


def _trim(lines: list[str]) -> list[str]:
    """`lines` without the blank lines at either end (the chain's own spacing)."""
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _fold_part(part: tuple[str, list[str]]) -> tuple[str, list[str]]:
    """One part, its worker's quoted traceback unwrapped and labelled, its frames folded."""
    sentence, lines = part
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _REMOTE.match(line.strip()) and i + 1 < len(lines) and lines[i + 1] == _QUOTES:
            end = i + 2
            while end < len(lines) and lines[end] != _QUOTES:
                end += 1
            out.append(WORKER_LABEL)
            out += _fold_frames(lines[i + 2 : end])
            i = end + 1
        else:
            start = i
            while i < len(lines) and not (
                _REMOTE.match(lines[i].strip()) and i + 1 < len(lines) and lines[i + 1] == _QUOTES
            ):
                i += 1
            out += _fold_frames(lines[start:i])
    return sentence, out


def _frames(lines: list[str]) -> Iterator[tuple[str | None, str, list[str]]]:
    """`lines` as (the frame's path or None for any other line, its lead, its lines)."""
    i = 0
    while i < len(lines):
        m = _FRAME.match(lines[i])
        if m is None:
            yield None, "", [lines[i]]
            i += 1
            continue
        # A frame's source line and its ^^^ markers are indented deeper than "File".
        deeper = m["lead"] + m["indent"] + "  "
        end = i + 1
        while end < len(lines) and lines[end].startswith(deeper) and not _FRAME.match(lines[end]):
            end += 1
        yield m["path"], m["lead"] + m["indent"], lines[i:end]
        i = end


def _fold_frames(lines: list[str]) -> list[str]:
    """`lines` with each run of plumbing frames replaced by one "… N frames hidden" line.

    A traceback with no frame of the learner's code keeps its innermost frame (where the
    exception was raised): folding everything would leave nothing to read.
    """
    items = list(_frames(lines))
    shown = [path for path, _lead, _lines in items if path is not None]
    keep_last = bool(shown) and all(frame_owner(p) is not None for p in shown)
    last_frame = max((n for n, item in enumerate(items) if item[0] is not None), default=-1)
    out: list[str] = []
    run: list[tuple[str, str]] = []  # (owner, lead) of the hidden frames in a row

    def flush() -> None:
        if run:
            owners = list(dict.fromkeys(owner for owner, _lead in run))
            noun = "frame" if len(run) == 1 else "frames"
            out.append(f"{run[0][1]}… {len(run)} {noun} of {' and '.join(owners)} hidden")
            run.clear()

    for n, (path, lead, frame_lines) in enumerate(items):
        owner = frame_owner(path) if path is not None else None
        if owner is not None and not (keep_last and n == last_frame):
            run.append((owner, lead))
            continue
        flush()
        out += frame_lines
    flush()
    return out
