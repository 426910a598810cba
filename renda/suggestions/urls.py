from django.http import HttpResponse
from django.urls import path

app_name = "suggestions"
urlpatterns = [path("<int:pk>/", lambda r, pk: HttpResponse(), name="detail")]
