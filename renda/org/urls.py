from django.urls import path

from renda.org import views

app_name = "org"
urlpatterns = [
    path("deputies/", views.deputies, name="deputies"),
    path("deputies/new/", views.deputy_create, name="deputy_create"),
    path("deputies/<str:public_id>/", views.deputy, name="deputy"),
    path("deputies/<str:public_id>/edit/", views.deputy_edit, name="deputy_edit"),
    path("deputies/<str:public_id>/move/", views.deputy_move, name="deputy_move"),
    path("stations/", views.stations, name="stations"),
    path("stations/<str:public_id>/", views.station, name="station"),
    path("stations/<str:public_id>/edit/", views.station_edit, name="station_edit"),
    path("units/", views.units, name="units"),
    path("units/<int:pk>/", views.unit, name="unit"),
    path("bodies/", views.bodies, name="bodies"),
    path("groups/", views.groups, name="groups"),
    path("groups/<int:pk>/", views.group, name="group"),
]
