"""Citizen pages: no login, mobile-first (they open inside WeChat from a QR code)."""

from django.urls import path

from renda.public import views

app_name = "public"
urlpatterns = [
    path("d/<str:public_id>/", views.deputy_page, name="deputy"),
    path("s/<str:public_id>/", views.station_page, name="station"),
    path("d/<str:public_id>/opinion/", views.opinion_form, {"kind": "deputy"}, name="deputy_opinion"),
    path("s/<str:public_id>/opinion/", views.opinion_form, {"kind": "station"}, name="station_opinion"),
    path("d/<str:public_id>/book/", views.book, {"kind": "deputy"}, name="deputy_book"),
    path("s/<str:public_id>/book/", views.book, {"kind": "station"}, name="station_book"),
    path("similar/", views.similar_cases, name="similar"),
    path("suggest-category/", views.suggest_category, name="suggest_category"),
    path("follow/<str:token>/", views.follow, name="follow"),
    path("follow/<str:token>/confirm/", views.follow_confirm, name="follow_confirm"),
    path("receipt/<str:receipt_code>/", views.receipt, name="receipt"),
    path("track/", views.track, name="track"),
    path("track/<str:receipt_code>/", views.track_detail, name="track_detail"),
    path("booked/<str:code>/", views.booked, name="booked"),
    path("booking/cancel/", views.booking_cancel, name="booking_cancel"),
]
