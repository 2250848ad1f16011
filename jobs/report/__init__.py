"""Rendering study runs: terminal tables, Markdown, HTML with charts, JSON, CSV/Parquet files.

Rendering never computes statistics: it formats what the engine returned.
"""
