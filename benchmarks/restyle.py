"""Restyle time: how long a zoom step or a theme change takes with a big run on show, and
that the run is still all there afterwards; prints one JSON object.

A zoom or a theme change rebuilds the four panels (a plot takes its colours and sizes when it
is built) and draws them again from the run's state. Here the state is frame_time's plausible
pool-map run — 64 workers on 64 cores, 25,000 finished spans, telemetry every 100 ms — in a
shown 1440×900 window. Each step (zoom 100 % ↔ 150 %, then dark ↔ light) is timed from the
call to the end of the repaint that follows (``window.grab()`` forces it), wall time.

``spans_kept`` checks the rebuilt timeline holds every span the state does, after each step.

    uv run python benchmarks/restyle.py [--steps N] [--quick]
"""

from __future__ import annotations

import statistics
import time

from _common import emit, machine, percentile, setup
from frame_time import Feed
from mpgui.core.protocol import events as ev

#: The run on show: workers, cores, finished spans (frame_time's headline point).
POINT = (64, 64, 25_000)


def main() -> None:
    """Time zoom and theme steps on a window showing a big run."""
    parser = setup(__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="steps of each kind")
    args = parser.parse_args()
    steps = 2 if args.quick else args.steps
    workers, cores, spans = (8, 8, 2_000) if args.quick else POINT

    from _window import app as the_app
    from _window import close
    from mpgui.bridge import RunController
    from mpgui.core.model.run_state import RunState
    from mpgui.scenarios import make_spec
    from mpgui.ui.main_window import MainWindow

    app = the_app()
    window = MainWindow("pool-map", "fork", remember=False)
    window.resize(1440, 900)
    window.show()
    app.processEvents()
    spec = make_spec("pool-map", {"workers": workers, "tasks": 4 * spans}, "fork")
    feed = Feed(workers, cores, spans)
    t0, history = feed.history(ev.now_ns())
    state = RunState(spec, t0_ns=t0)
    state.apply(history)
    controller = RunController(spec, parent=window)  # never started: it only holds the state
    controller.state = state
    window._controller = controller  # noqa: SLF001 - a run on show without running one
    window._redraw()  # noqa: SLF001
    window.grab()

    timings: dict[str, list[float]] = {"zoom": [], "theme": []}
    kept_ok = True
    for i in range(steps):
        for kind, change in (
            ("zoom", lambda i=i: window.set_zoom(1.5 if i % 2 == 0 else 1.0)),
            ("theme", lambda i=i: window.set_theme("light" if i % 2 == 0 else "dark")),
        ):
            start = time.perf_counter()
            change()
            window.grab()  # the repaint the change asks for
            timings[kind].append((time.perf_counter() - start) * 1000)
            kept_ok &= window.timeline_panel.span_count() == len(state.span_t0)
    close(window)
    emit(
        "restyle",
        {
            "machine": machine(),
            "point": {"workers": workers, "cores": cores, "spans": spans},
            "spans_kept": len(state.span_t0),
            "all_spans_redrawn": kept_ok,
            **{
                f"{kind}_ms_{name}": round(fn(values), 1)
                for kind, values in timings.items()
                for name, fn in (
                    ("median", statistics.median),
                    ("p95", lambda v: percentile(v, 95)),
                    ("max", max),
                )
            },
            "steps": steps,
        },
    )


if __name__ == "__main__":
    main()
