from django.utils.functional import SimpleLazyObject

from accounts.roles import Role, is_staff_member, user_roles


def roles(request) -> dict:
    user = getattr(request, "user", None)
    # Lazy: the roles query runs only when a template reads them (the signed-in header does,
    # once; anonymous pages, JSON and file responses never do). user_roles keeps the answer on
    # the user object, so both values share the one query (issue 11).
    return {
        "user_roles": SimpleLazyObject(lambda: user_roles(user) if user else frozenset()),
        "is_staff_member": lambda: is_staff_member(user) if user else False,
        "Role": Role,
    }
