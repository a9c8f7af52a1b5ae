"""The window's plot panels: workers, cores, timeline and the scenario's own chart."""
