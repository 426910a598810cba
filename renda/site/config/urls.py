from django.urls import path

from renda.site.config import views

app_name = "config"
urlpatterns = [
    path("rules/", views.rules, name="rules"),
    path("rules/<str:key>/", views.rule_change, name="rule_change"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/day/", views.calendar_day, name="calendar_day"),
    path("calendar/year/", views.calendar_year, name="calendar_year"),
]
