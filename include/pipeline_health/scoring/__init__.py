"""Data & Insights tooling for the weekly risk score: fit its points, evaluate it against the truth."""
