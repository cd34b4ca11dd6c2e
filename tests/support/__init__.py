"""Helpers shared by tests (and benches): no test module imports another test module."""
