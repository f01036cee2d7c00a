"""Unit tests of the Pulumi program under mocks."""
