from django.urls import path

from meetings import views

app_name = "meetings"

urlpatterns = [
    path("meetings/", views.meeting_list, name="list"),
    path("meetings/book/", views.meeting_book, name="book"),
    path("meetings/sessions/", views.session_list, name="sessions"),
    path("meetings/sessions/<int:pk>/register/", views.session_register, name="session_register"),
    path(
        "meetings/sessions/<int:pk>/unregister/",
        views.session_unregister,
        name="session_unregister",
    ),
    path("meetings/<int:pk>/", views.meeting_detail, name="detail"),
    path("meetings/<int:pk>/invitation.ics", views.meeting_invitation, name="invitation"),
    path("meetings/<int:pk>/<slug:action>/", views.meeting_action, name="action"),
    path("staff/meetings/", views.staff_calendar, name="calendar"),
    path("staff/meetings/load/", views.staff_load, name="load"),
    path("staff/meetings/sessions/new/", views.staff_session_new, name="session_new"),
]
