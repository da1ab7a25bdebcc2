from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class EmailAuthenticationForm(AuthenticationForm):
    """Sign in with an email address (or, for staff, a username)."""

    username = forms.CharField(
        label=_("Email"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "email", "inputmode": "email"}),
    )

    def clean(self):
        login = (self.cleaned_data.get("username") or "").strip()
        if "@" in login:
            # Customers know their email, not their username; usernames may differ from it.
            user = get_user_model().objects.filter(email__iexact=login).order_by("pk").first()
            if user is not None:
                self.cleaned_data["username"] = user.get_username()
        return super().clean()
