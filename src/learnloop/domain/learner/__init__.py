"""The learner model: memory, mastery, projections of events and the next-step policy."""
