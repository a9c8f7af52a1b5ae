"""The run model: :class:`~mpgui.core.model.run_state.RunState` folds a run's events into what
the window draws and what ``--json`` prints. Host-side, Qt-free, bounded in memory."""
