"""Simulated hardware for tests and demos.

* ``scenario``  TOML scenarios: a step function of radio states and faults over time
* ``encode``    the answer lines a 3GPP or vendor modem prints for a radio state (pure)
* ``responder`` which command gets which answer and final result, per dialect (pure)
* ``modem``     SimModem: serves a scenario on a real pty; ``serve_cli`` for the CLI
* ``scenarios/`` demo scenarios: strong-lte, weak-signal, no-service, tower-outage
"""
