"""How every form is rendered (portal/forms.py, templates/forms/): errors tied to their fields
and one error summary (issue #12, item 2), help text that may hold a list (item 3)."""

from django import forms
from django.test.html import Element, parse_html
from django.utils.html import format_html


class _Application(forms.Form):
    title = forms.CharField(label="Title")
    password = forms.CharField(
        label="Password",
        help_text=format_html("<ul><li>{}</li><li>{}</li></ul>", "Eight letters", "One digit"),
    )
    kind = forms.ChoiceField(
        label="Kind", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect
    )


def _all(node, found=None) -> list[Element]:
    found = [] if found is None else found
    for child in getattr(node, "children", []):
        if isinstance(child, Element):
            found.append(child)
            _all(child, found)
    return found


def _attrs(el: Element) -> dict:
    return dict(el.attributes)


def _by_id(tree, id_: str) -> Element:
    matches = [el for el in _all(tree) if _attrs(el).get("id") == id_]
    assert len(matches) == 1, f"{len(matches)} elements with id {id_}"
    return matches[0]


def _text(el) -> str:
    return "".join(_text(c) if isinstance(c, Element) else str(c) for c in el.children).strip()


def test_errors_are_tied_to_their_fields_and_summed_up_once():
    form = _Application(data={})
    tree = parse_html(str(form))
    elements = _all(tree)

    summaries = [el for el in elements if "data-error-summary" in _attrs(el)]
    assert len(summaries) == 1
    assert "autofocus" in _attrs(summaries[0]) and _attrs(summaries[0])["tabindex"] == "-1"
    links = [_attrs(a)["href"] for a in _all(summaries[0]) if a.name == "a"]
    assert links == ["#id_title", "#id_password", "#id_kind"]
    # Only the summary is announced.
    assert [el for el in elements if _attrs(el).get("role") == "alert"] == [
        next(el for el in _all(summaries[0]) if _attrs(el).get("role") == "alert")
    ]

    for name in ("title", "password"):
        field = next(el for el in elements if _attrs(el).get("name") == name)
        described = _attrs(field)["aria-describedby"].split()
        assert f"id_{name}_error" in described
        for id_ in described:
            assert _text(_by_id(tree, id_)), f"#{id_} is empty"
    # The radio group: the fieldset is the summary link's target and carries the description.
    fieldset = _by_id(tree, "id_kind")
    assert fieldset.name == "fieldset"
    assert _attrs(fieldset)["aria-describedby"] == "id_kind_error"
    assert _text(_by_id(tree, "id_kind_error"))


def test_a_help_text_with_a_list_is_inside_the_element_the_field_points_to():
    tree = parse_html(str(_Application()))
    helptext = _by_id(tree, "id_password_helptext")
    # A <p> cannot hold a <ul>: the browser would close it and leave the described element empty.
    assert helptext.name == "div"
    assert [li.name for li in _all(helptext) if li.name == "li"] == ["li", "li"]
    assert not any("data-error-summary" in _attrs(el) for el in _all(tree))
