"""Message catalogues for :mod:`agent.i18n`: ``MESSAGES = {key: {"id": ..., "en": ...}}``."""
