from django.urls import path

from . import import_views as views

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="list"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/commit/", views.import_commit, name="commit"),
    path("<int:pk>/refused/", views.import_refused_file, name="refused"),
    path("template/<slug:kind>.<slug:file_format>", views.import_template, name="template"),
]
