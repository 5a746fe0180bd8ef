"""Open311 GeoReport v2: the client that files community issues as the city's 311 tickets (client.py,
outbox.py, sync.py), and civic's own GeoReport v2 endpoint for other 311 apps (server.py)."""
