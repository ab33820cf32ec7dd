"""CRM connectors behind one ``CRM`` protocol."""

from assist.crm.base import CRM

__all__ = ["CRM"]
