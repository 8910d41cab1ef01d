"""xAPI 1.0.3 as learnloop's record: the learnloop profile and the statements it writes."""
