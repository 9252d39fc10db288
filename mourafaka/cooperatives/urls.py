from django.urls import include, path

from . import views

app_name = "cooperatives"

urlpatterns = [
    path("", views.cooperative_list, name="list"),
    path("new/", views.cooperative_edit, name="create"),
    path("export/", views.cooperative_export, name="export"),
    path("imports/", include("mourafaka.cooperatives.import_urls")),
    path("export.csv", views.cooperative_export_csv, name="export_csv"),
    path("<int:pk>/", views.cooperative_detail, name="detail"),
    path("<int:pk>/edit/", views.cooperative_edit, name="edit"),
]
