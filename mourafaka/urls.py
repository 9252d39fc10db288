from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from mourafaka.accounts import views as account_views
from mourafaka.accounts.api import me
from mourafaka.calls.api import AppealViewSet, ApplicationViewSet, CallViewSet, RankingVersionViewSet
from mourafaka.coaching import api as coaching_api
from mourafaka.cooperatives.api import CooperativeViewSet
from mourafaka.cooperatives.import_api import ImportRunViewSet
from mourafaka.cooperatives.member_api import DocumentViewSet, DuplicateViewSet, MemberViewSet
from mourafaka.core import views as core_views
from mourafaka.diagnostics.api import DiagnosticViewSet, TemplateViewSet
from mourafaka.diagnostics.plan_api import CapacityPlanItemViewSet, DevelopmentActionViewSet
from mourafaka.diagnostics.report_api import (
    DiagnosticProgressionView,
    DiagnosticReportView,
    TemplateExportView,
    TemplateImportView,
)
from mourafaka.financing import api as financing_api
from mourafaka.programmes.api import EditionViewSet, ProgrammeViewSet
from mourafaka.territory.api import DelegationViewSet, ProvinceViewSet, RegionViewSet
from mourafaka.trainings import api as training_api
from mourafaka.trainings import verify_views
from mourafaka.trust import api as trust_api

router = DefaultRouter()
router.register("regions", RegionViewSet)
router.register("provinces", ProvinceViewSet)
router.register("delegations", DelegationViewSet)
router.register("cooperatives", CooperativeViewSet)
router.register("imports", ImportRunViewSet)
router.register("members", MemberViewSet)
router.register("documents", DocumentViewSet, basename="api-document")
router.register("duplicates", DuplicateViewSet)
router.register("programmes", ProgrammeViewSet)
router.register("editions", EditionViewSet)
router.register("calls", CallViewSet)
router.register("applications", ApplicationViewSet)
router.register("rankings", RankingVersionViewSet)
router.register("appeals", AppealViewSet)
router.register("questionnaire-templates", TemplateViewSet)
router.register("diagnostics", DiagnosticViewSet)
router.register("capacity-plan-items", CapacityPlanItemViewSet)
router.register("development-actions", DevelopmentActionViewSet)
training_api.register_routes(router)
coaching_api.register_routes(router)
financing_api.register_routes(router)
trust_api.register_routes(router)

admin.site.site_header = "Mourafaka"
admin.site.site_title = "Mourafaka"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/setlang/", core_views.set_language, name="set_language"),
    path("statistics/", core_views.statistics_page, name="statistics"),
    path("notifications/", core_views.notification_list, name="notifications"),
    path("accounts/me/", account_views.my_account, name="my_account"),
    path("accounts/me/token/", account_views.renew_api_token, name="renew_api_token"),
    path("accounts/", include("allauth.urls")),
    path("cooperatives/", include("mourafaka.cooperatives.urls")),
    path("programmes/", include("mourafaka.programmes.urls")),
    path("calls/", include("mourafaka.calls.urls")),
    path("diagnostics/", include("mourafaka.diagnostics.urls")),
    path("trainings/", include("mourafaka.trainings.urls")),
    path("coaching/", include("mourafaka.coaching.urls")),
    path("financing/", include("mourafaka.financing.urls")),
    path("trust/", include("mourafaka.trust.urls")),
    path("verify/<str:code>/", verify_views.verify, name="verify_certificate"),
    path("jobs/", include("mourafaka.core.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/me/", me, name="api-me"),
    path("api/v1/diagnostics/<int:pk>/report/", DiagnosticReportView.as_view(), name="api-diagnostic-report"),
    path(
        "api/v1/diagnostics/<int:pk>/progression/",
        DiagnosticProgressionView.as_view(),
        name="api-diagnostic-progression",
    ),
    path(
        "api/v1/questionnaire-templates/<int:pk>/xlsx/",
        TemplateExportView.as_view(),
        name="api-template-export",
    ),
    path("api/v1/questionnaire-templates/import/", TemplateImportView.as_view(), name="api-template-import"),
    path("api/v1/", include(training_api.api_urlpatterns)),
    path("api/v1/", include(coaching_api.api_urlpatterns)),
    path("api/v1/", include(financing_api.api_urlpatterns)),
    path("api/v1/", include(trust_api.api_urlpatterns)),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
