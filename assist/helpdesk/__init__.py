"""Helpdesk connectors behind one ``Helpdesk`` protocol."""

from assist.helpdesk.base import Helpdesk

__all__ = ["Helpdesk"]
