"""Offline stand-ins for AWS used in development and tests; never deployed."""
