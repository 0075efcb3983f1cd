"""Accord: the system of record for trust-based partnerships between teams."""

__version__ = "0.1.0"
