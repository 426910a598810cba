from django.urls import path
from django.views.generic import TemplateView

app_name = "org"
urlpatterns: list = []
urlpatterns = [path(f"{n}/", TemplateView.as_view(template_name="base.html"), name=n) for n in ["deputies", "stations", "units", "bodies"]]
