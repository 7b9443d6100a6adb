"""File fields that survive a failed form: a field left empty takes the upload held for it (its
reference comes back as `<field>_held`), and after a failure every accepted upload is held for the
retry (zghz/files/held.py)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.files.uploadedfile import UploadedFile
from django.utils.datastructures import MultiValueDict

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.core.errors import DomainError
from zghz.files.held import HeldUpload, upload_held, upload_hold, upload_release
from zghz.units.models import Unit


class HeldFiles:
    def __init__(self, request: AuthenticatedHttpRequest, unit: Unit, fields: Iterable[str]) -> None:
        self.owner = f"{request.user.pk}:{unit.pk}"
        self.files: dict[str, UploadedFile | None] = {}
        self.held: dict[str, HeldUpload] = {}
        for name in fields:
            upload = request.FILES.get(name)
            if upload is None:
                found = upload_held(request.POST.get(f"{name}_held", ""), owner=self.owner)
                if found is not None:
                    self.held[name], upload = found
            self.files[name] = upload

    @property
    def form_files(self) -> MultiValueDict[str, UploadedFile]:
        """The uploads as a form's `files`: new ones, and held ones for fields left empty."""
        return MultiValueDict({name: [upload] for name, upload in self.files.items() if upload is not None})

    def keep(self, refused: Iterable[str] = ()) -> dict[str, HeldUpload]:
        """Hold every upload that passes the file checks, except the fields the error is about."""
        refused = set(refused)
        for name, upload in self.files.items():
            if upload is None or name in refused or name in self.held:
                continue
            try:
                self.held[name] = upload_hold(upload, owner=self.owner)
            except DomainError:
                continue  # its own error is on the page; the user chooses another file
        for name in refused & set(self.held):
            upload_release(self.held.pop(name).token)
        return self.held

    def release(self) -> None:
        for held in self.held.values():
            upload_release(held.token)
