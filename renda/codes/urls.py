from django.urls import path

from renda.codes import views

app_name = "codes"
urlpatterns = [
    path("", views.index, name="index"),
    path("deputy/<str:public_id>.png", views.deputy_qr, name="deputy_qr"),
    path("deputy/<str:public_id>/poster.pdf", views.deputy_poster_pdf, name="deputy_poster_pdf"),
    path("deputy/<str:public_id>/poster.png", views.deputy_poster_png, name="deputy_poster_png"),
    path("station/<str:public_id>.png", views.station_qr, name="station_qr"),
    path("station/<str:public_id>/poster.pdf", views.station_poster_pdf, name="station_poster_pdf"),
    path("station/<str:public_id>/poster.png", views.station_poster_png, name="station_poster_png"),
    path("region/<str:code>/", views.region, name="region"),
    path("region/<str:code>/posters.zip", views.region_zip, name="region_zip"),
]
