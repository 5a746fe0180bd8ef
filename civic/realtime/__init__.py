"""Live updates over Socket.IO. Producers never import this package: rooms.py listens to the signals;
events.py's handlers are registered on each app's Socket.IO server by create_app."""

from civic.realtime import rooms  # noqa: F401 - connects the signal receivers that push updates
