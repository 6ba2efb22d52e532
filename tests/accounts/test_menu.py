"""Two-factor authentication is reached from the profile, not from the main menu (issue 12,
item 10); the header draws the emblem, not the letters «أ ع»."""

import re

from django.urls import reverse


def _nav(html: str) -> str:
    return re.search(r'<nav class="portal-nav".*?</nav>', html, re.S).group(0)


def test_two_factor_is_under_the_profile_not_in_the_menu(client, reviewer):
    client.force_login(reviewer)
    mfa = reverse("mfa_index")
    home = client.get("/ar/").content.decode()
    assert f'href="{mfa}"' not in _nav(home)
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert f'href="{mfa}"' in profile.split('<main id="main"')[1]


def test_the_header_has_a_menu_button_and_a_named_emblem(client, db):
    html = client.get("/ar/").content.decode()
    header = html.split("</header>")[0]
    assert 'data-testid="menu-button"' in header and "<details" in header
    assert re.search(r'<svg class="portal-emblem"[^>]*role="img"[^>]*aria-label="[^"]+"', header)
