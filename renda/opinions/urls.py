from django.urls import path

from renda.opinions import views

app_name = "opinions"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.enter, name="enter"),
    path("export.xlsx", views.export, name="export"),
    path("slots/", views.slots, name="slots"),
    path("appointments/<int:pk>/state/", views.appointment_state, name="appointment_state"),
    path("appointments/<int:pk>/phone/", views.appointment_phone, name="appointment_phone"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/act/<str:action>/", views.act, name="act"),
    path("<int:pk>/photos/<int:photo_id>/", views.photo, name="photo"),
    path("<int:pk>/answers/<int:answer_id>/attachment/", views.attachment, name="attachment"),
]
