"""The operations centre: the collector's web app, REST API, live stream and metrics."""
