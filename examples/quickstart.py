"""Placeholder replaced by the quickstart example."""
