"""The provider host driver lives in local.provider_host (the rehearsal uses it too)."""

from local.provider_host import UNKNOWN, ProviderHost, ProviderHostError, serialized

__all__ = ["UNKNOWN", "ProviderHost", "ProviderHostError", "serialized"]
