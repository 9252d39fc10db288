from django.urls import path

from . import views

app_name = "trust"

urlpatterns: list = [
    path("members/<int:pk>/export/", views.member_export, name="member_export"),
    path("members/<int:pk>/anonymise/", views.member_anonymise, name="member_anonymise"),
    path("erasures/", views.erasure_list, name="erasures"),
]
