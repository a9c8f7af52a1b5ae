"""What the host and its child processes agree on: the events and how they are framed, the
worker probe that emits them, what a run is asked to do (``RunSpec``), the run's stop flag, and
the names the run's OS objects are given. Imported on both sides; imports nothing heavy."""
