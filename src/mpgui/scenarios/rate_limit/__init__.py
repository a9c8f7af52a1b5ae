"""The rate-limit scenario: model.py (the conductor runs it), chart.py, notice.md."""
