from django.urls import path

app_name = "trust"

urlpatterns: list = []
