"""Test suite: Pulumi mocks, the provider host, handlers, the emulator and the rehearsal."""
