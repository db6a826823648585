import pytest

from incidents.actors import Actor


@pytest.fixture
def admin_actor(admin_user):
    return Actor.for_user(admin_user)


def change_form_data(response) -> dict:
    """Collect the POST data of a rendered admin change form, as a browser would send it."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms.append(formset.management_form)
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = value
    return data
