"""Static files under the production storage: `collectstatic` with the hashed, compressed
manifest storage (LOKET_PRODUCTION=1) succeeds, so every file a stylesheet or script refers to
(a source map, an image, a font) is shipped. `make deploy-check` then serves them."""

import json

from django.core.management import call_command


def test_collectstatic_with_the_production_storage_finds_every_referenced_file(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    assert "reports/vendor/chart.umd.min.js" in manifest
    hashed = (tmp_path / manifest["reports/vendor/chart.umd.min.js"]).read_text()
    assert "sourceMappingURL" not in hashed
