"""REST API of personal-data requests (/api/v1/…)."""


def register_routes(router) -> None:
    """Add the trust endpoints to the API router."""


api_urlpatterns: list = []
