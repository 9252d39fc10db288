from django.urls import include, path

from . import member_views, views

app_name = "cooperatives"

member_patterns = [
    path("<int:cooperative_pk>/members/", member_views.member_list, name="list"),
    path("<int:cooperative_pk>/members/new/", member_views.member_edit, name="create"),
    path("members/<int:pk>/", member_views.member_detail, name="detail"),
    path("members/<int:pk>/edit/", member_views.member_edit, name="edit"),
    path("members/<int:pk>/active/", member_views.member_set_active, name="set_active"),
]

document_patterns = [
    path("<int:cooperative_pk>/documents/", member_views.document_list, name="list"),
    path("documents/<int:pk>/download/", member_views.document_download, name="download"),
    path("documents/<int:pk>/delete/", member_views.document_delete, name="delete"),
]

duplicate_patterns = [
    path("", member_views.duplicate_list, name="list"),
    path("scan/", member_views.duplicate_scan, name="scan"),
    path("<int:pk>/merge/", member_views.duplicate_decide, {"decision": "merge"}, name="merge"),
    path("<int:pk>/dismiss/", member_views.duplicate_decide, {"decision": "dismiss"}, name="dismiss"),
]

urlpatterns = [
    path("", views.cooperative_list, name="list"),
    path("new/", views.cooperative_edit, name="create"),
    path("export/", views.cooperative_export, name="export"),
    path("imports/", include("mourafaka.cooperatives.import_urls")),
    path("duplicates/", include((duplicate_patterns, "duplicates"))),
    path("", include((member_patterns, "members"))),
    path("", include((document_patterns, "documents"))),
    path("export.csv", views.cooperative_export_csv, name="export_csv"),
    path("<int:pk>/", views.cooperative_detail, name="detail"),
    path("<int:pk>/edit/", views.cooperative_edit, name="edit"),
]
