"""Forms the web layer renders itself. Business rules stay in the services; these only
parse and label input."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from socialfabric import mail
from socialfabric.org import services as org
from socialfabric.org.models import Stakeholder


class SignInForm(AuthenticationForm):
    """Sign in with the member's handle (the user model's USERNAME_FIELD)."""

    error_messages = {
        "invalid_login": "That handle and password do not match. Check both and try again.",
        "inactive": "This account is inactive.",
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Handle"
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class ResetForm(PasswordResetForm):
    """Set or reset a password by e-mail. Unlike Django's form, members without a usable password
    (imported from the org chart) get the link too: that is how they set their first one."""

    def get_users(self, email: str):
        return org.members_with_email(email)

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None) -> None:
        context = {**context, "setting": not context["user"].has_usable_password()}
        mail.send(to_email, "password_reset", context)


class DirectoryForm(forms.Form):
    """The people directory's search and filters (GET)."""

    q = forms.CharField(label="Name or handle", required=False, max_length=100)
    unit = forms.ModelChoiceField(label="Unit", required=False, queryset=org.units(),
                                  to_field_name="slug", empty_label="All units")
    stakeholder = forms.ChoiceField(label="Stakeholder", required=False,
                                    choices=[("", "All stakeholders"), *Stakeholder.choices])
    expertise = forms.CharField(label="Expertise", required=False, max_length=100)
