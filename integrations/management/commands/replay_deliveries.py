from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from integrations.webhooks.deliveries import (
    DEFAULT_SNS_KEY,
    delivery_files,
    load_delivery,
    post_delivery,
    sign_delivery,
    webhook_client,
)


class Command(BaseCommand):
    help = (
        "Post every delivery file under FOLDER, in sorted order, through the real webhook "
        "views (CSRF enforced). Prints file, status and incident key; fails on any non-2xx."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)
        parser.add_argument(
            "--sign",
            action="store_true",
            help="Re-sign each delivery now with the secrets in settings (and the SNS key).",
        )
        parser.add_argument(
            "--sns-key",
            type=Path,
            default=DEFAULT_SNS_KEY,
            help="PEM key that signs SNS messages with --sign "
            "(default samples/sns-demo-signing-key.pem).",
        )

    def handle(self, *args, folder: Path, sign: bool, sns_key: Path, **options):
        files = delivery_files(folder)
        if not files:
            raise CommandError(f"No delivery files (*.json) under {folder}.")
        if sign and not sns_key.is_file():
            raise CommandError(f"SNS signing key {sns_key} not found: pass --sns-key.")

        client = webhook_client()
        failures = 0
        for path in files:
            name = path.relative_to(folder).as_posix() if folder.is_dir() else path.name
            delivery = load_delivery(path, name=name)
            if sign:
                delivery = sign_delivery(delivery, sns_key=sns_key)
            response = post_delivery(client, delivery)
            incident = _incident_of(response)
            ok = 200 <= response.status_code < 300
            failures += not ok
            line = f"{name} {response.status_code} {incident or '-'}"
            if not ok:
                line += f" {_error_of(response)}"
            self.stdout.write(line if ok else self.style.ERROR(line))

        if failures:
            raise CommandError(f"{failures} of {len(files)} deliveries were refused.")


def _json(response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _incident_of(response) -> str:
    data = _json(response)
    keys = [alert.get("incident") for alert in data.get("alerts", []) if alert.get("incident")]
    return ",".join(dict.fromkeys(keys)) or (data.get("incident") or "")


def _error_of(response) -> str:
    data = _json(response)
    return f"{data.get('field', '')}: {data.get('error', '')}".strip(": ")
