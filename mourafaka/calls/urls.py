from django.urls import path

from . import views

app_name = "calls"

urlpatterns = [
    path("", views.call_list, name="list"),
    path("new/", views.call_create, name="create"),
    path("<int:pk>/", views.call_detail, name="detail"),
    path("<int:pk>/edit/", views.call_edit, name="edit"),
    path("<int:pk>/apply/", views.apply, name="apply"),
    path("<int:pk>/review/", views.review_list, name="review_list"),
    path("<int:pk>/<slug:action>/", views.call_action, name="action"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("applications/<int:pk>/review/", views.review_application, name="review"),
    path("appeals/<int:pk>/decide/", views.decide_appeal, name="decide_appeal"),
    path("rankings/<int:pk>/", views.ranking_detail, name="ranking"),
    path("rankings/<int:pk>/minutes.<slug:fmt>", views.ranking_minutes, name="minutes"),
    path("rankings/<int:pk>/<slug:action>/", views.ranking_action, name="ranking_action"),
    path("editions/<int:pk>/beneficiaries/", views.beneficiaries, name="beneficiaries"),
    path("beneficiaries/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
]
