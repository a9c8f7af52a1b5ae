"""mpgui: see Python multiprocessing — real worker processes, plotted live."""

__version__ = "0.1.0"
