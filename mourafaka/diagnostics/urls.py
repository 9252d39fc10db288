from django.urls import path

from . import attachment_views, plan_views, template_views, views

app_name = "diagnostics"

urlpatterns = [
    path("", views.diagnostic_list, name="list"),
    path("start/", views.start, name="start"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/fill/", views.fill, name="fill"),
    path("<int:pk>/answers/<int:question_pk>/", views.answer, name="answer"),
    path("<int:pk>/details/", views.save_details, name="details"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/attachments/", attachment_views.upload, name="attachment_upload"),
    path("attachments/<int:pk>/", attachment_views.download, name="attachment_download"),
    path("attachments/<int:pk>/delete/", attachment_views.delete, name="attachment_delete"),
    path("<int:pk>/report/<str:language>/", template_views.diagnostic_report, name="report"),
    path("<int:pk>/progression/", template_views.diagnostic_progression, name="progression"),
    path("<int:pk>/rediagnostic/", template_views.start_rediagnostic, name="rediagnostic"),
    path("<int:pk>/plans/", plan_views.plans_page, name="plans"),
    path("<int:pk>/plans/propose/", plan_views.propose, name="plan_propose"),
    path("<int:pk>/plans/needs/add/", plan_views.item_add, name="plan_item_add"),
    path("<int:pk>/plans/needs/<int:item_pk>/status/", plan_views.item_status, name="plan_item_status"),
    path("<int:pk>/plans/needs/<int:item_pk>/move/", plan_views.item_move, name="plan_item_move"),
    path("<int:pk>/plans/needs/<int:item_pk>/delete/", plan_views.item_delete, name="plan_item_delete"),
    path("<int:pk>/plans/objectives/add/", plan_views.objective_add, name="plan_objective_add"),
    path(
        "<int:pk>/plans/objectives/<int:objective_pk>/delete/",
        plan_views.objective_delete,
        name="plan_objective_delete",
    ),
    path(
        "<int:pk>/plans/objectives/<int:objective_pk>/actions/add/",
        plan_views.action_add,
        name="plan_action_add",
    ),
    path("<int:pk>/plans/actions/<int:action_pk>/", plan_views.action_edit, name="plan_action_edit"),
    path(
        "<int:pk>/plans/actions/<int:action_pk>/delete/", plan_views.action_delete, name="plan_action_delete"
    ),
    path(
        "<int:pk>/plans/actions/<int:action_pk>/progress/",
        plan_views.action_progress,
        name="plan_action_progress",
    ),
    path("templates/", template_views.template_list, name="templates"),
    path("templates/import/", template_views.template_import, name="template_import"),
    path("templates/<int:pk>/export/", template_views.template_export, name="template_export"),
    path("templates/<int:pk>/publish/", template_views.template_publish, name="template_publish"),
]
