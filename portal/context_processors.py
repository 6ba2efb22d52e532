from functools import cache

from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language


def portal(request) -> dict:
    user = getattr(request, "user", None)

    # A callable, which the template engine calls only when a template reads the value: pages
    # without the header (and errors, e-mails rendered with a request) skip the count query,
    # and `cache` keeps it to one query however often the page reads it (issue 11).
    @cache
    def unread_notifications() -> int:
        from portal.notifications import notifications_unread_count

        if user is None or not user.is_authenticated:
            return 0
        return notifications_unread_count(user=user)

    # The language switch posts the page's address already translated: Django's set_language
    # translates `next` in the language of the request (the browser's or the cookie's), which
    # cannot resolve the other language's prefix when the two differ.
    @cache
    def other_language_path() -> str:
        other = "en" if (get_language() or "ar").startswith("ar") else "ar"
        return translate_url(request.get_full_path(), other)

    return {
        "other_language_path": other_language_path,
        "unread_notifications": unread_notifications,
        "DEPARTMENT_NAME_AR": settings.DEPARTMENT_NAME_AR,
        "DEPARTMENT_NAME_EN": settings.DEPARTMENT_NAME_EN,
        "STAFF_MFA_REQUIRED": settings.STAFF_MFA_REQUIRED,
    }
