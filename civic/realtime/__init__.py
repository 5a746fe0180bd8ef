"""Live updates over Socket.IO. Producers never import this package: rooms.py listens to the signals."""

from civic.realtime import events, rooms  # noqa: F401  (registers Socket.IO handlers and signal receivers)
