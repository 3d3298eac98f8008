"""Pantau's wire contract (generated code lives in pantau.v1)."""
