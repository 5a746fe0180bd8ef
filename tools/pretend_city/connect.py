"""Connect a running pretend city to civic: save it as the endpoint named "Sandbox" (active, with the
city's api key) and fetch its services, mapped to civic's categories — what `flask open311 sandbox`
did before the pretend city left the civic package. Uses the app the environment configures (CIVIC_*)."""

from __future__ import annotations

from tools.pretend_city.city import SandboxCity

ENDPOINT_NAME = "Sandbox"


def connect(city: SandboxCity, app=None) -> int:
    """Save `city` as civic's endpoint and map its services; returns how many got a category."""
    from civic import create_app
    from civic.city311.environment import save_endpoint
    from civic.city311.services_list import refresh
    from civic.database import unit_of_work

    app = app or create_app()
    with app.app_context(), unit_of_work():
        endpoint = save_endpoint(ENDPOINT_NAME, city.base_url, api_key=city.api_key, active=True)
        return sum(1 for service in refresh(endpoint) if service.category_id)
