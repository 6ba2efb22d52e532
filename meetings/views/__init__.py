"""Pages of the meetings app (a package: booking, the meeting page with its actions, the
customer's meetings and the open sessions, the staff calendar)."""

from meetings.views.booking import meeting_book
from meetings.views.detail import meeting_action, meeting_detail, meeting_invitation
from meetings.views.lists import meeting_list, session_list, session_register, session_unregister
from meetings.views.staff import staff_calendar, staff_load, staff_session_new

__all__ = [
    "meeting_action",
    "meeting_book",
    "meeting_detail",
    "meeting_invitation",
    "meeting_list",
    "session_list",
    "session_register",
    "session_unregister",
    "staff_calendar",
    "staff_load",
    "staff_session_new",
]
