"""REST API of group training."""


def register_routes(router) -> None:
    """Add the training endpoints to the API router."""


api_urlpatterns = []
