from django.urls import path

from . import views

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
]
