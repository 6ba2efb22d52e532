from django.forms.renderers import TemplatesSetting


class PortalFormRenderer(TemplatesSetting):
    """Render every Django form with the design system's form controls."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
