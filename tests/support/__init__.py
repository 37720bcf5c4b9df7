"""Helpers shared by the test modules (servers, event logs, warehouse builds); test modules import from here."""
