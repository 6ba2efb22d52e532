from django.conf import settings


def portal(request) -> dict:
    from portal.notifications import notifications_unread_count

    user = getattr(request, "user", None)
    unread = notifications_unread_count(user=user) if user and user.is_authenticated else 0
    return {
        "unread_notifications": unread,
        "DEPARTMENT_NAME_AR": settings.DEPARTMENT_NAME_AR,
        "DEPARTMENT_NAME_EN": settings.DEPARTMENT_NAME_EN,
        "STAFF_MFA_REQUIRED": settings.STAFF_MFA_REQUIRED,
    }
