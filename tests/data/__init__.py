"""Tests of the sample data, its generator, the MovieLens converter and the preflight check."""
