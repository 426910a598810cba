from django.urls import path

from renda.projects import public_views, views

app_name = "projects"
urlpatterns = [
    path("", views.index, name="index"),
    path("proposals/", views.proposals, name="proposals"),
    path("proposals/new/", views.proposal_new, name="proposal_new"),
    path("proposals/<int:pk>/", views.proposal, name="proposal"),
    path("proposals/<int:pk>/act/<str:action>/", views.proposal_act, name="proposal_act"),
    path("lists/new/", views.list_new, name="list_new"),
    path("lists/<int:pk>/", views.list_detail, name="list"),
    path("lists/<int:pk>/act/<str:action>/", views.list_act, name="list_act"),
    path("all/", views.project_list, name="projects"),
    path("midyear.docx", views.midyear, {"fmt": "docx"}, name="midyear_docx"),
    path("midyear.xlsx", views.midyear, {"fmt": "xlsx"}, name="midyear_xlsx"),
    path("<int:pk>/", views.project, name="project"),
    path("<int:pk>/act/<str:action>/", views.project_act, name="project_act"),
    # 群众 (no login)
    path("public/", public_views.public_index, name="public_index"),
    path("public/photos/<int:photo_id>/", public_views.public_photo, name="public_photo"),
    path("public/proposed/<str:code>/", public_views.public_proposed, name="public_proposed"),
    path("public/<str:code>/", public_views.public_township, name="public_township"),
    path("public/<str:code>/propose/", public_views.public_propose, name="public_propose"),
]
