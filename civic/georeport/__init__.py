"""civic's own GeoReport v2 (Open311) endpoint under /open311/v2, for other 311 apps.

    views.py      the routes, thin: parameters in, a query, records out
    params.py     reading and checking request parameters (paging, dates, ids, the POST's point)
    queries.py    the SQL
    records.py    an issue, a category or a status change as a GeoReport record
    responses.py  JSON and XML answers, the error array and the error handlers under /open311/
    xml.py        GeoReport XML writing
    models.py     ApiKey
    keys.py       making, revoking and checking api keys (civic/credentials.py does the secret handling)
    cli.py        `flask open311 create-api-key`

A top layer (like the JSON API): it calls the issues services and may use the city 311 domain, never the
other way round.
"""
