"""What runs in the conductor process and its workers: the conductor's entry point, the child
watch, the worker helpers a scenario's ``run`` is handed, and how a conductor ends.

Imports nothing itself: ``bare_child`` (start-methods' trivial child) must import in well
under a millisecond."""
