"""The public verification page's credential form (WTForms): a credential file, or the credential
pasted as text.

No CSRF token: the page is public, a verifier may post to it from anywhere (their own tool, a saved
copy of the page), and a check changes nothing that a forged post could abuse.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import TextAreaField
from wtforms.validators import ValidationError

# Far above any credential the tool issues; a larger body is refused unread rather than parsed.
MAX_CREDENTIAL_BYTES = 64 * 1024
GIVE_ONE = _l("Choose a credential file or paste the credential.")
TOO_LARGE = _l("This is larger than any credential VBHC Academy issues (at most 64 kB): give the credential "
               "itself, as downloaded.")


def too_large(text: str) -> bool:
    """Whether a credential's text is larger than any credential the tool issues."""
    return len(text.encode()) > MAX_CREDENTIAL_BYTES


class CredentialForm(FlaskForm):
    """A credential file, else the pasted text; `text()` is what is checked."""

    class Meta:
        csrf = False            # public, and changes nothing (module docstring)

    file = FileField(_l("Credential file"))
    credential = TextAreaField(_l("or paste the credential"))

    def text(self) -> str:
        """The uploaded file's text (read once, at most one byte past the limit), else the pasted text."""
        if not hasattr(self, "_text"):
            upload = self.file.data
            if upload is not None and getattr(upload, "filename", None):
                self._text = upload.stream.read(MAX_CREDENTIAL_BYTES + 1).decode("utf-8", "replace")
            else:
                self._text = self.credential.data or ""
        return self._text

    def validate_credential(self, field) -> None:
        """Something was given, and not more than a credential can be."""
        text = self.text()
        if not text.strip():
            raise ValidationError(GIVE_ONE)
        if too_large(text):
            raise ValidationError(TOO_LARGE)

    def kept(self) -> str:
        """The pasted text to show again after a refusal (not a pasted text beyond the limit)."""
        text = self.credential.data or ""
        return "" if too_large(text) else text
