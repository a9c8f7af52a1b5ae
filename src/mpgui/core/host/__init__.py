"""What runs in the host (the window's process, or ``mpgui run``): the handle on a run's
conductor, per-task timeouts, CPU telemetry, and the headless runner."""
