"""Pulumi component resources, one module per layer of the stack."""
