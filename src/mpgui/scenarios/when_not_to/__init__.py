"""The when-not-to scenario: model.py (the conductor runs it), chart.py, notice.md."""
