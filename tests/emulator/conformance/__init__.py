"""Conformance: the emulator as AWS's own documentation and public samples use the service."""
