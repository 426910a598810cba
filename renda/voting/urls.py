from django.urls import path

from renda.voting import views

app_name = "voting"
urlpatterns = [
    path("receipt/", views.receipt, name="receipt"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/live/", views.live, name="live"),
    path("<int:pk>/ballot.docx", views.printed, {"what": "ballot", "fmt": "docx"}, name="ballot_docx"),
    path("<int:pk>/ballot.pdf", views.printed, {"what": "ballot", "fmt": "pdf"}, name="ballot_pdf"),
    path("<int:pk>/notice.docx", views.printed, {"what": "notice", "fmt": "docx"}, name="notice_docx"),
    path("<int:pk>/notice.pdf", views.printed, {"what": "notice", "fmt": "pdf"}, name="notice_pdf"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/cast/", views.cast, name="cast"),
    path("<int:pk>/act/<str:action>/", views.act, name="act"),
]
