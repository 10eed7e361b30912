"""Use cases: the only layer that knows both the models and the matching engine."""
