from django.urls import path

from . import engagement_views, home_views, portal_views, provider_views, report_views

app_name = "coaching"

urlpatterns = [
    path("", home_views.home, name="home"),
    path("overdue/", home_views.overdue_list, name="overdue"),
    path("counts/", home_views.counts_page, name="counts"),
    path("start/<int:enrolment_pk>/", engagement_views.start, name="start"),
    path("engagements/<int:pk>/", engagement_views.engagement_detail, name="engagement"),
    path("engagements/<int:pk>/reassign/", engagement_views.reassign, name="reassign"),
    path("engagements/<int:pk>/visits/add/", engagement_views.add_visit, name="visit_add"),
    path("visits/<int:pk>/", report_views.visit_report, name="visit"),
    path("visits/<int:pk>/plan/", engagement_views.plan_visit, name="visit_plan"),
    path("visits/<int:pk>/cancel/", engagement_views.cancel_visit, name="visit_cancel"),
    path("visits/<int:pk>/attachments/", report_views.upload, name="attachment_upload"),
    path("visits/<int:pk>/code/", report_views.send_code, name="send_code"),
    path("attachments/<int:pk>/", report_views.download, name="attachment"),
    path("attachments/<int:pk>/delete/", report_views.remove, name="attachment_delete"),
    path("my/", portal_views.my_coaching, name="my"),
    path("my/visits/<int:visit_pk>/acknowledge/", portal_views.my_acknowledge, name="my_acknowledge"),
    path("acknowledge/<int:visit_pk>/", portal_views.acknowledge_with_code, name="acknowledge"),
    path("providers/", provider_views.provider_list, name="providers"),
    path("providers/<int:pk>/", provider_views.provider_detail, name="provider"),
    path("contracts/<int:pk>/", provider_views.contract_detail, name="contract"),
    path("contracts/<int:pk>/deliverables/", provider_views.deliverable_list, name="deliverables"),
    path("contracts/<int:pk>/deliverables/review/", provider_views.review, name="deliverables_review"),
    path("contracts/<int:pk>/deliverables/collect/", provider_views.collect, name="collect"),
    path("contracts/<int:pk>/statement/", provider_views.statement, name="statement"),
]
