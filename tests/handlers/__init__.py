"""Lambda handler tests: pure functions, local AWS (moto + the Personalize emulator), fuzzing."""
