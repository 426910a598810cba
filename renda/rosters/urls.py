from django.urls import path

from renda.rosters import views

app_name = "rosters"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:kind>/template/", views.template, name="template"),
    path("<slug:kind>/export/", views.export, name="export"),
    path("<slug:kind>/import/", views.import_roster, name="import"),
]
