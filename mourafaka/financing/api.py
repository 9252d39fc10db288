"""REST API of project financing (/api/v1/financing-…)."""


def register_routes(router) -> None:
    """Add the financing endpoints to the API router."""


api_urlpatterns: list = []
