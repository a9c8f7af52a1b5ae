"""The threads-vs-processes scenario: model.py (the conductor runs it), chart.py, notice.md."""
