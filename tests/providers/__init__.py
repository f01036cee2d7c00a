"""Tests of the Personalize dynamic providers: waiter, mocks, and the real provider host."""
