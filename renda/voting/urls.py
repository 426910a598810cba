from django.urls import path

from renda.voting import views

app_name = "voting"
urlpatterns = [
    path("receipt/", views.receipt, name="receipt"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/live/", views.live, name="live"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/cast/", views.cast, name="cast"),
    path("<int:pk>/act/<str:action>/", views.act, name="act"),
]
