from django.urls import path

from . import views

app_name = "programmes"

urlpatterns = [
    path("", views.programme_list, name="list"),
    path("editions/<int:pk>/", views.edition_detail, name="edition"),
]
