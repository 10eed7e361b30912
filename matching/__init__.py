"""Matching engine: a pure library (stdlib + ortools) for the problem-file contract."""
