"""Tutor plugin for credentials-status."""

__version__ = "1.0.0"
