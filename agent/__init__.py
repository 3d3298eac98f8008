"""Pantau."""
