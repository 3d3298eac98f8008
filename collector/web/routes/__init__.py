"""The REST API and pages, one module per resource; each lists its :class:`Operation` s."""
