"""Parallel file processing: real text files, their lines counted serially and with ``Pool.map``.

The run writes `files` text files of uneven sizes into a private directory inside the run's
own temporary directory, then counts their lines: in the conductor one file after another
(serial), and on a warm pool of `workers` processes (``pool.map``, one file a task). The two
alternate three times and the medians are reported. Each count is checked against an
independent count of the ``\\n`` bytes in the file.

Counting by ``len(file.readlines())`` (the tutorial's) builds a list of every line: the
worker's memory grows with the file. Counting as a stream (``for line in file``) holds one
line at a time. Each worker measures its own peak memory (its peak RSS, reset before each
file) to show the difference.

A cold pass repeats the timing with each file's pages dropped from the page cache first
(``os.fsync`` after writing, then ``os.posix_fadvise(..., POSIX_FADV_DONTNEED)`` on each of
our files — never the machine's caches), so the reads come from the disk: whether the CPU or
the disk is the limit is measured, as the share of the counting time the workers spent on the
CPU. On a tmpfs or ramfs (the folder's filesystem is reported) there is no disk to read from:
the pages are the files, and the cold pass reads memory.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import re
import resource
import tempfile
import time
from typing import NamedTuple

from mpgui.core import mp_private
from mpgui.core.child import timed
from mpgui.core.child.run_context import RunContext
from mpgui.core.params import ParamSpec
from mpgui.core.protocol import probe
from mpgui.core.scenario import Scenario

# The names this scenario reports (its chart imports them from here).
#: The phases: writing the files, the warm passes, the cold passes.
WRITE, WARM, COLD = "write", "warm", "cold"
PHASES = (WRITE, WARM, COLD)
#: The passes, each measured :data:`~mpgui.core.child.timed.ROUNDS` times, in turns.
SERIAL, PARALLEL = "serial", "parallel"
COLD_SERIAL, COLD_PARALLEL = "cold_serial", "cold_parallel"
PASSES = (SERIAL, PARALLEL, COLD_SERIAL, COLD_PARALLEL)
#: The two ways to count a file's lines (the `method` parameter).
READLINES, STREAM = "readlines", "stream"
#: The issue's metrics.
FILES = "files"
TOTAL_LINES = "total_lines"
LINES_MATCH = "lines_match"
SERIAL_S = "serial_s"
PARALLEL_S = "parallel_s"
SPEEDUP = "speedup"
MB_PER_S = "mb_per_s"
WORKER_PEAK_RSS_MB = "worker_peak_rss_mb"
#: More of what was measured: the files' total size (MB, 10**6 bytes); the most one count
#: added to its process's memory (peak RSS while counting minus RSS before); how long the
#: pool took to start (not part of `parallel_s`); how long writing took; the share of the
#: workers' counting time spent on the CPU (near 1: the CPU is the limit).
TOTAL_MB = "total_mb"
COUNT_MEM_MB = "count_mem_mb"
POOL_START_MS = "pool_start_ms"
WRITE_S = "write_s"
CPU_SHARE = "cpu_share"
#: The cold pass (None without it): the same figures with the files' pages dropped first.
COLD_SERIAL_S = "cold_serial_s"
COLD_PARALLEL_S = "cold_parallel_s"
COLD_SPEEDUP = "cold_speedup"
COLD_MB_PER_S = "cold_mb_per_s"
COLD_CPU_SHARE = "cold_cpu_share"
#: True when the cold counts' CPU share was less than :data:`DISK_BOUND_SHARE` of the warm
#: counts': they spent most of the time the warm counts computed waiting for the disk. (Both
#: shares fall alike when other programs take the CPU: the ratio is the disk's part.)
COLD_DISK_BOUND = "cold_disk_bound"
#: The type of the filesystem the files were written to ("ext4", "tmpfs"…; None if unknown).
#: On a filesystem in memory (:data:`NO_DISK`) there is no disk under the files: dropping
#: their pages does nothing (tmpfs pages are the files), and the cold pass reads memory.
FILESYSTEM = "filesystem"
NO_DISK = frozenset({"tmpfs", "ramfs"})
METRICS = (
    FILES,
    TOTAL_LINES,
    LINES_MATCH,
    SERIAL_S,
    PARALLEL_S,
    SPEEDUP,
    MB_PER_S,
    WORKER_PEAK_RSS_MB,
    TOTAL_MB,
    COUNT_MEM_MB,
    POOL_START_MS,
    WRITE_S,
    CPU_SHARE,
    COLD_SERIAL_S,
    COLD_PARALLEL_S,
    COLD_SPEEDUP,
    COLD_MB_PER_S,
    COLD_CPU_SHARE,
    COLD_DISK_BOUND,
    FILESYSTEM,
)
DISK_BOUND_SHARE = 0.5

#: Per-file live series (file `i`): its size in bytes (as written), and from the latest
#: count of it: its lines, how long the count took (ms), the pid of the process that counted
#: it, and how much the count added to that process's memory (MB).
FILE_BYTES, FILE_LINES, FILE_MS, FILE_PID, FILE_MEM_MB = (
    "file.bytes.",
    "file.lines.",
    "file.ms.",
    "file.pid.",
    "file.mem_mb.",
)
FILE_PREFIXES = (FILE_BYTES, FILE_LINES, FILE_MS, FILE_PID, FILE_MEM_MB)
#: Per-pass live series: the seconds of each measurement of pass `name`, once measured.
PASS_S = "pass_s."


def file_series(prefix: str, index: int) -> str:
    """The live series `prefix` (one of :data:`FILE_PREFIXES`) of file `index`."""
    return f"{prefix}{index}"


def pass_series(name: str) -> str:
    """The live series of the measured seconds of pass `name` (one of :data:`PASSES`)."""
    return f"{PASS_S}{name}"


# -- the files -------------------------------------------------------------------------------
#: The text is lines of words, each line numbered; a block of this many distinct lines is
#: repeated to make a file (generating every line in Python would take longer than counting).
BLOCK_LINES = 4096
WORDS = (
    "process pool worker queue lock pipe fork spawn server task result value array "
    "manager event barrier semaphore thread core cache page file line count"
).split()
#: Sizes vary per file from this share of `lines_per_file` to its mirror (0.25 … 1.75): the
#: work is uneven, as real files are, and the total stays ``files * lines_per_file``.
SMALLEST = 0.25


class DiskFull(RuntimeError):
    """The disk had no room for the files: the run's one-line error."""


def text_block() -> tuple[bytes, list[int]]:
    """:data:`BLOCK_LINES` lines of text, and where each line ends in it (offsets).

    Lines of 1 to 9 words (about 40 bytes on average), from a fixed seed: every run writes
    the same files for the same parameters.
    """
    rng = random.Random(15)
    lines = [
        f"{k:05d} " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 9))) + "\n"
        for k in range(BLOCK_LINES)
    ]
    data = "".join(lines).encode("ascii")
    ends, at = [], 0
    for line in lines:
        at += len(line)
        ends.append(at)
    return data, ends


def file_lines(files: int, lines_per_file: int) -> list[int]:
    """How many lines each file gets: spread evenly from :data:`SMALLEST` × `lines_per_file`
    to its mirror, in a fixed shuffled order (the big files are not all at one end)."""
    if files == 1:
        return [lines_per_file]
    step = 2 * (1 - SMALLEST) / (files - 1)
    sizes = [max(1, round(lines_per_file * (SMALLEST + k * step))) for k in range(files)]
    random.Random(files).shuffle(sizes)
    return sizes


def disk_full(exc: OSError, folder: str, what: str) -> DiskFull:
    """`exc` (no space, or over the quota) as the run's error: what could not be written,
    where, and the room that is left there."""
    try:
        stat = os.statvfs(folder)
        free = f"{stat.f_bavail * stat.f_frsize / 1e6:.1f} MB free"
    except OSError:
        free = "its free space unknown"
    return DiskFull(f"the disk is full: {what} in {folder} ({free}; {os.strerror(exc.errno)})")


def write_files(folder: str, sizes: list[int], main: probe.Probe, should_stop) -> list[str]:
    """Write a file of ``sizes[i]`` lines for each `i` into `folder`; return their paths.

    Each file is fsynced: its pages are clean, so the cold pass can drop them. Each file's
    size is reported as written. Stops between files on Stop. No space, or no quota, left
    raises :class:`DiskFull`.
    """
    block, ends = text_block()
    paths = []
    for index, lines in enumerate(sizes):
        if should_stop():
            break
        path = os.path.join(folder, f"file-{index:03d}.txt")
        paths.append(path)
        full, rest = divmod(lines, BLOCK_LINES)
        try:
            with open(path, "wb") as file:
                for _ in range(full):
                    file.write(block)
                file.write(block[: ends[rest - 1]] if rest else b"")
                file.flush()
                os.fsync(file.fileno())
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                what = f"file {index + 1} of {len(sizes)} ({lines:,} lines)"
                raise disk_full(exc, folder, what) from None
            raise
        main.metric(file_series(FILE_BYTES, index), os.path.getsize(path))
    return paths


def newline_bytes(path: str) -> int:
    """The file's ``\\n`` bytes, counted in binary chunks: the independent count."""
    count = 0
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            count += chunk.count(b"\n")
    return count


def drop_cached(paths: list[str]) -> None:
    """Ask the kernel to drop these files' pages from the page cache (only theirs), so the
    next read of them comes from the disk. Their pages are clean (fsynced when written)."""
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def _unescape(field: str) -> str:
    """A path field of ``/proc/self/mounts``, whose space, tab, newline and backslash are
    written as octal escapes (``\\040``)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def filesystem(path: str, mounts: str = "/proc/self/mounts") -> str | None:
    """The type of the filesystem `path` is on: that of the longest mount point over it in
    `mounts` (the last one listed, where several are mounted on the same point), or None off
    Linux. (``os.statvfs`` cannot tell: a tmpfs reports blocks like a disk.)"""
    path = os.path.realpath(path)
    best, kind = "", None
    try:
        with open(mounts, encoding="utf-8", errors="replace") as table:
            for line in table:
                fields = line.split()
                if len(fields) < 3:
                    continue
                point = _unescape(fields[1])
                over = path == point or path.startswith(point.rstrip("/") + "/")
                if over and len(point) >= len(best):
                    best, kind = point, fields[2]
    except OSError:
        return None
    return kind


# -- memory ------------------------------------------------------------------------------------
def _status_kb(field: str) -> int | None:
    """A ``kB`` field of ``/proc/self/status`` (``VmRSS``, ``VmHWM``), or None off Linux."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak_rss() -> None:
    """Start this process's peak RSS afresh from its current RSS (Linux: ``clear_refs`` 5),
    so the next peak read is this file's count's, not an earlier, bigger file's."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        pass  # then the peak is the process's lifetime peak: never lower than the count's


def rss_kb() -> int:
    """This process's resident memory now (kB)."""
    return _status_kb("VmRSS") or 0


def peak_rss_kb() -> int:
    """This process's peak resident memory (kB): ``VmHWM``, which ``getrusage``'s
    ``ru_maxrss`` reports too — but ``ru_maxrss`` also keeps the peak from before an exec (a
    spawned worker's parent's memory), which is not this worker's."""
    peak = _status_kb("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# -- counting ------------------------------------------------------------------------------------
def count_readlines(path: str) -> int:
    """The tutorial's count: read every line into a list, and take its length."""
    with open(path, encoding="utf-8") as file:
        return len(file.readlines())


def count_stream(path: str) -> int:
    """A streaming count: one line at a time, nothing kept."""
    with open(path, encoding="utf-8") as file:
        return sum(1 for _ in file)


COUNTERS = {READLINES: count_readlines, STREAM: count_stream}


class Counted(NamedTuple):
    """One file's count, as the process that counted it measured it."""

    index: int
    lines: int
    pid: int
    wall_ns: int
    cpu_ns: int
    peak_kb: int  # the process's peak RSS while counting the file
    grew_kb: int  # that peak above its RSS before the count


def count_file(job: tuple[int, str, str]) -> Counted | None:
    """Count the lines of one file — ``job`` is (index, path, method) — inside a reported
    span, and report what it took. None if Stop was pressed first."""
    index, path, method = job
    p = probe.current()
    if p.should_stop():
        return None
    with p.task(index):
        reset_peak_rss()
        before = rss_kb()
        t0, cpu0 = time.perf_counter_ns(), time.process_time_ns()
        lines = COUNTERS[method](path)
        wall, cpu = time.perf_counter_ns() - t0, time.process_time_ns() - cpu0
        peak = peak_rss_kb()
    counted = Counted(index, lines, os.getpid(), wall, cpu, peak, max(0, peak - before))
    p.metric(file_series(FILE_LINES, index), lines)
    p.metric(file_series(FILE_MS, index), wall / 1e6)
    p.metric(file_series(FILE_PID, index), counted.pid)
    p.metric(file_series(FILE_MEM_MB, index), counted.grew_kb / 1024)
    return counted


def count_serially(jobs: list[tuple[int, str, str]], should_stop) -> list[Counted | None]:
    """Every file one after another, in this process (the conductor)."""
    counts = []
    for job in jobs:
        if should_stop():
            break
        counts.append(count_file(job))
    return counts


def cpu_share(passes: list[list[Counted | None]]) -> float | None:
    """The counts' CPU time over their wall time, over every count of `passes`."""
    done = [c for counts in passes for c in counts if c is not None]
    wall = sum(c.wall_ns for c in done)
    return sum(c.cpu_ns for c in done) / wall if wall else None


# -- the run -----------------------------------------------------------------------------------
def measure(
    ctx: RunContext, pool, workers: int, jobs: list, cold: bool, paths: list[str]
) -> tuple[dict[str, list[float]], dict[str, list[list[Counted | None]]]]:
    """Alternate the serial and the parallel count (on `pool`, of `workers`)
    :data:`~mpgui.core.child.timed.ROUNDS` times — each file's pages dropped first when
    `cold` — and return the samples (s) and every round's counts, by pass name.

    Each round's figures are shown as soon as it is measured (``after``).
    """
    main = ctx.probe
    main.phase(COLD if cold else WARM)
    # Every file counted twice (serial, parallel) each round: the phase's tasks.
    main.plan(tasks=2 * timed.ROUNDS * len(jobs), workers=workers)
    serial, parallel = (COLD_SERIAL, COLD_PARALLEL) if cold else (SERIAL, PARALLEL)
    counts: dict[str, list] = {serial: [], parallel: []}

    def before(_name: str, _round: int) -> None:
        drop_cached(paths)  # untimed, ahead of each cold measurement

    def after(name: str, _round: int, seconds: float | None) -> None:
        if seconds is not None:  # shown as soon as it is measured
            main.metric(pass_series(name), seconds)

    samples = timed.alternate(
        {
            serial: lambda: counts[serial].append(count_serially(jobs, ctx.should_stop)),
            parallel: lambda: counts[parallel].append(pool.map(count_file, jobs, chunksize=1)),
        },
        should_stop=ctx.should_stop,
        before=before if cold else None,
        after=after,
    )
    return samples, counts


@contextlib.contextmanager
def private_folder(ctx: RunContext):
    """The run's private folder for the files (:meth:`RunContext.private_dir`: under
    ``TMPDIR``, removed however the run ends); no room left even for the folder is
    :class:`DiskFull` too."""
    with contextlib.ExitStack() as stack:
        try:  # only the making of the folder: an error of the run's body is not ours here
            folder = stack.enter_context(ctx.private_dir("file-processing-"))
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                where = mp_private.process_config().get("tempdir") or tempfile.gettempdir()
                raise disk_full(exc, where, "a folder") from None
            raise
        yield folder


def run(ctx: RunContext, params: dict) -> dict:
    """Write the files, count their lines serially and on a pool (warm, then cold), check
    the counts, and delete the files — however the run ends."""
    files, workers, method = params["files"], params["workers"], params["method"]
    main = ctx.probe
    metrics: dict = dict.fromkeys(METRICS)  # every figure None until it is measured
    metrics[FILES] = files
    with private_folder(ctx) as folder:
        main.phase(WRITE)
        sizes = file_lines(files, params["lines_per_file"])
        metrics[FILESYSTEM] = kind = filesystem(folder)
        main.log(f"writing {files} files into {folder}")
        if kind in NO_DISK:
            main.log(
                f"{folder} is on a {kind}, in memory: there is no disk under the files, and "
                "the cold pass reads memory too (set TMPDIR to a folder on a disk)",
                "WARNING",
            )
        t0 = time.perf_counter()
        paths = write_files(folder, sizes, main, ctx.should_stop)
        metrics[WRITE_S] = time.perf_counter() - t0
        if ctx.should_stop():
            return metrics
        expected = [newline_bytes(path) for path in paths]
        total_bytes = sum(os.path.getsize(path) for path in paths)
        metrics[TOTAL_LINES] = sum(expected)
        metrics[TOTAL_MB] = total_bytes / 1e6
        main.log(
            f"wrote {files} files, {total_bytes / 1e6:.1f} MB, {sum(expected):,} lines "
            f"({metrics[WRITE_S]:.2f} s)"
        )
        jobs = [(index, path, method) for index, path in enumerate(paths)]
        with ctx.warm_pool(workers) as warm:
            metrics[POOL_START_MS] = warm.start_ms
            warm_samples, warm_counts = measure(ctx, warm.pool, workers, jobs, False, paths)
            cold_samples, cold_counts = {}, {}
            if params["cold"] and not ctx.should_stop():
                cold_samples, cold_counts = measure(ctx, warm.pool, workers, jobs, True, paths)
    if ctx.should_stop():
        return metrics

    every = [c for counts in (warm_counts, cold_counts) for runs in counts.values() for c in runs]
    metrics[LINES_MATCH] = all(
        len(counts) == len(expected)
        and all(c is not None and c.lines == n for c, n in zip(counts, expected, strict=True))
        for counts in every
    )
    warm = timed.medians(warm_samples)
    metrics[SERIAL_S], metrics[PARALLEL_S] = warm[SERIAL], warm[PARALLEL]
    metrics[SPEEDUP] = warm[SERIAL] / warm[PARALLEL]
    metrics[MB_PER_S] = total_bytes / 1e6 / warm[PARALLEL]
    pool_runs = [*warm_counts[PARALLEL], *cold_counts.get(COLD_PARALLEL, [])]
    on_pool = [c for counts in pool_runs for c in counts if c is not None]
    metrics[WORKER_PEAK_RSS_MB] = max(c.peak_kb for c in on_pool) / 1024
    metrics[COUNT_MEM_MB] = max(c.grew_kb for c in on_pool) / 1024
    metrics[CPU_SHARE] = cpu_share(warm_counts[PARALLEL])
    main.log(
        f"{method}: serial {warm[SERIAL]:.3f} s, parallel {warm[PARALLEL]:.3f} s on {workers} "
        f"workers (medians of {timed.ROUNDS}); a worker's peak RSS "
        f"{metrics[WORKER_PEAK_RSS_MB]:.1f} MB"
    )
    if cold_samples:
        cold = timed.medians(cold_samples)
        metrics[COLD_SERIAL_S], metrics[COLD_PARALLEL_S] = cold[COLD_SERIAL], cold[COLD_PARALLEL]
        metrics[COLD_SPEEDUP] = cold[COLD_SERIAL] / cold[COLD_PARALLEL]
        metrics[COLD_MB_PER_S] = total_bytes / 1e6 / cold[COLD_PARALLEL]
        share = cpu_share(cold_counts[COLD_PARALLEL])
        metrics[COLD_CPU_SHARE] = share
        warm_share = metrics[CPU_SHARE]
        metrics[COLD_DISK_BOUND] = bool(
            share and warm_share and share < DISK_BOUND_SHARE * warm_share
        )
    return metrics


SCENARIO = Scenario(
    id="file-processing",
    order=120,
    small_params={"files": 4, "lines_per_file": 5_000, "workers": 2},
    small_variants=({"method": STREAM, "cold": False},),
    short="Processing files",
    title="Counting the lines of files in parallel",
    summary="Real text files of uneven sizes, their lines counted one after another and with "
    "Pool.map; readlines() against a streaming count, and a cold pass read from the disk.",
    params=(
        ParamSpec("files", "int", default=16, minimum=1, maximum=256, help="Files to write."),
        ParamSpec(
            "lines_per_file",
            "int",
            default=200_000,
            minimum=1,
            maximum=2_000_000,
            label="Lines per file",
            help="Lines of an average file (about 40 bytes each); each file gets from a "
            "quarter to 1.75 times as many, so the work is uneven.",
        ),
        ParamSpec(
            "workers", "int", default=2, minimum=1, maximum=64, help="Processes in the pool."
        ),
        ParamSpec(
            "method",
            "choice",
            default=READLINES,
            choices=(READLINES, STREAM),
            help="How a file's lines are counted: len(file.readlines()) keeps every line in "
            "memory; a stream (sum(1 for _ in file)) one at a time.",
        ),
        ParamSpec(
            "cold",
            "bool",
            default=True,
            label="Cold pass",
            help="Time the counts again with the files' pages dropped from the page cache, "
            "so they are read from the disk.",
        ),
    ),
    run=run,
    metrics=METRICS,
    # The lesson: the same count of each file, one after another, then spread over a pool.
    focus=(
        "return len(file.readlines())",
        "return sum(1 for _ in file)",
        "counts.append(count_file(job))",
        "parallel: lambda: counts[parallel].append(pool.map(count_file, jobs, chunksize=1)),",
        "os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)",
    ),
)
