from django.urls import path

from . import agreement_views, allocation_views, home_views, proposal_views, round_views

app_name = "financing"

urlpatterns = [
    path("", home_views.home, name="home"),
    path("late-milestones/", home_views.late, name="late"),
    # Rounds
    path("rounds/new/", round_views.round_new, name="round_new"),
    path("rounds/<int:pk>/", round_views.round_detail, name="round"),
    path("rounds/<int:pk>/edit/", round_views.round_edit, name="round_edit"),
    path("rounds/<int:pk>/eligibility/", round_views.round_eligibility, name="round_eligibility"),
    path("rounds/<int:pk>/committee/", round_views.round_committee, name="round_committee"),
    path("rounds/<int:pk>/scoring/", round_views.scoring, name="scoring"),
    path("rounds/<int:pk>/results/", round_views.results, name="results"),
    # Proposals
    path("rounds/<int:pk>/propose/", proposal_views.proposal_new, name="proposal_new"),
    path("proposals/<int:pk>/", proposal_views.proposal_detail, name="proposal"),
    path("proposals/<int:pk>/edit/", proposal_views.proposal_edit, name="proposal_edit"),
    path("proposals/<int:pk>/submit/", proposal_views.proposal_submit, name="proposal_submit"),
    path("proposals/<int:pk>/withdraw/", proposal_views.proposal_withdraw, name="proposal_withdraw"),
    path("proposals/<int:pk>/documents/", proposal_views.document_upload, name="proposal_document_upload"),
    path("proposal-documents/<int:pk>/", proposal_views.document_download, name="proposal_document"),
    path(
        "proposal-documents/<int:pk>/delete/", proposal_views.document_delete, name="proposal_document_delete"
    ),
    path("proposals/<int:pk>/score/", round_views.proposal_score, name="proposal_score"),
    path("proposals/<int:pk>/conflict/", round_views.proposal_conflict, name="proposal_conflict"),
    # Allocation
    path(
        "rounds/<int:pk>/allocations/compute/", allocation_views.allocation_compute, name="allocation_compute"
    ),
    path("allocations/<int:pk>/", allocation_views.allocation_detail, name="allocation"),
    path("rounds/<int:pk>/overrides/", allocation_views.override_new, name="override"),
    path("overrides/<int:pk>/delete/", allocation_views.override_delete, name="override_delete"),
    path("allocations/<int:pk>/freeze/", allocation_views.allocation_freeze, name="allocation_freeze"),
    path("allocations/<int:pk>/minutes.pdf", allocation_views.allocation_pdf, name="allocation_pdf"),
    path("allocations/<int:pk>/minutes.xlsx", allocation_views.allocation_xlsx, name="allocation_xlsx"),
    # Agreements, payments, follow-up
    path("agreements/<int:pk>/", agreement_views.agreement_detail, name="agreement"),
    path("agreements/<int:pk>/sign/", agreement_views.agreement_sign, name="agreement_sign"),
    path("agreements/<int:pk>/terminate/", agreement_views.agreement_terminate, name="agreement_terminate"),
    path("tranches/<int:pk>/disburse/", agreement_views.disbursement_new, name="disbursement_new"),
    path("tranches/<int:pk>/conditions/", agreement_views.condition_add, name="condition_add"),
    path("conditions/<int:pk>/check/", agreement_views.condition_check, name="condition_check"),
    path("agreements/<int:pk>/milestones/", agreement_views.milestone_add, name="milestone_add"),
    path("milestones/<int:pk>/report/", agreement_views.milestone_report, name="milestone_report"),
    path("milestones/<int:pk>/confirm/", agreement_views.milestone_confirm, name="milestone_confirm"),
    path("agreements/<int:pk>/follow-up/", agreement_views.follow_up_new, name="follow_up_new"),
    path(
        "agreements/<int:pk>/documents/",
        agreement_views.project_document_upload,
        name="project_document_upload",
    ),
    path("project-documents/<int:pk>/", agreement_views.project_document, name="project_document"),
]
