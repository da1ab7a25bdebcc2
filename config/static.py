"""The demo's static files storage: production's, with hashed URLs also when DEBUG is on.

Django's manifest storage hands out unhashed URLs while DEBUG is true (so a developer's
edits show without collectstatic). ``make demo`` runs with DEBUG on but should serve what
production serves: collected, pre-compressed files under hashed names that browsers cache
for a year and never revalidate.
"""

from __future__ import annotations

from servestatic.storage import CompressedManifestStaticFilesStorage


class HashedAlsoInDebugManifestStorage(CompressedManifestStaticFilesStorage):
    def url(self, name: str | None, force: bool = False) -> str:
        return super().url(name, force=True)
