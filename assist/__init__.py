"""Assist core: domain, connectors, journal, settings. Plain Python; never imports Qt."""

__version__ = "0.1.0"
