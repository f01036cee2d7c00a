"""Tests of the Personalize emulator, through boto3 only."""
