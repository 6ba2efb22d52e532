from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from accounts.roles import has_role, is_staff_member


def staff_required(*roles: str) -> Callable:
    """Open a view to department staff (of the given roles, or any staff role when none).

    Anonymous visitors go to the login page; signed-in people without the role get 403.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            allowed = user.is_superuser or (
                has_role(user, *roles) if roles else is_staff_member(user)
            )
            if not allowed:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
