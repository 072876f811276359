"""Validity of the risk score: metrics (pure numpy) and evaluations against real outcomes."""
