from django.urls import path

from renda.suggestions import views

app_name = "suggestions"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("new/cosigners/", views.cosigners, name="cosigners"),
    path("board/", views.board, name="board"),
    path("followups/", views.followups, name="followups"),
    path("stats/", views.stats, name="stats"),
    path("stats.xlsx", views.stats_export, name="stats_export"),
    path("assignments.xlsx", views.assignments_export, name="assignments_export"),
    path("compilation.docx", views.compilation, name="compilation"),
    path("windows/", views.windows, name="windows"),
    path("windows/<int:pk>/delete/", views.window_delete, name="window_delete"),
    path("public/", views.public, name="public"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/act/<str:action>/", views.act, name="act"),
    path("<int:pk>/notice.docx", views.notice, name="notice"),
    path("<int:pk>/answers/<int:answer_id>/letter.docx", views.letter, name="letter"),
    path("<int:pk>/letter-preview.docx", views.letter_preview, name="letter_preview"),
]
