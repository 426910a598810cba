from django.urls import path

from renda.meetings import views

app_name = "meetings"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/signin/", views.signin, name="signin"),
    path("<int:pk>/signin/live/", views.live, name="live"),
    path("<int:pk>/signin/qr.png", views.qr, name="qr"),
    path("<int:pk>/signin-sheet.docx", views.signin_sheet, {"fmt": "docx"}, name="signin_sheet_docx"),
    path("<int:pk>/signin-sheet.pdf", views.signin_sheet, {"fmt": "pdf"}, name="signin_sheet_pdf"),
    path("<int:pk>/checkin/<str:token>/", views.checkin, name="checkin"),
    path("<int:pk>/act/<str:action>/", views.act, name="act"),
    path("<int:pk>/documents/<int:doc_id>/", views.document, name="document"),
    path("<int:pk>/votes/new/", views.vote_new, name="vote_new"),
]
