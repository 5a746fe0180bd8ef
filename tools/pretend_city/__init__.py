"""The pretend city's 311 server, for demos and tests (not shipped with civic).

    python -m tools.pretend_city [--port 8311] [--connect]

`SandboxCity` (city.py) is the server; connect.py saves it as civic's endpoint and maps its services.
"""

from tools.pretend_city.city import DEFAULT_API_KEY, MODES, SandboxCity

__all__ = ["DEFAULT_API_KEY", "MODES", "SandboxCity"]
