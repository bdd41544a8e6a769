"""File-based collaboration analytics: load CSV files, compute metrics, render reports."""
