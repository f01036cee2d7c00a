"""Pulumi dynamic providers for Amazon Personalize resources that pulumi-aws lacks."""
