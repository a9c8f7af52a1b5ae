"""mpgui.core: everything that runs without Qt — in the GUI process and in child processes.

Scenarios, the worker probe, the event protocol, the conductor and its host-side handle, the
run state and the headless runner. Nothing here may import Qt or pyqtgraph (an import-linter
contract enforces it): a spawn child that imported Qt would start ~10x slower.
"""
