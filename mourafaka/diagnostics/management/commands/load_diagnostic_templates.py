from django.core.management.base import BaseCommand

from mourafaka.diagnostics.reference import load_default_template


class Command(BaseCommand):
    help = "Load or refresh the default Mourafaka diagnostic questionnaire (FR/AR). Idempotent."

    def handle(self, *args, **options):
        template = load_default_template()
        self.stdout.write(
            self.style.SUCCESS(
                f"Template {template.code} v{template.version} ({template.get_status_display()}): "
                f"{template.axes.count()} axes, {template.questions.count()} questions"
            )
        )
