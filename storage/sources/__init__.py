"""Data sources: where prices, corporate actions and factors come from."""
