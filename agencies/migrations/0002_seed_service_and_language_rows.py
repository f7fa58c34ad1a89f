from django.db import migrations

SERVICES = [
    "cwc_production", "counselling", "shelter", "medical", "legal_aid",
    "support_person", "rescue", "awareness", "other",
]
LANGUAGES = ["hi", "en", "ur", "bn", "ne", "pa", "sgn"]


def forwards(apps, schema_editor):
    ServiceOffered = apps.get_model("agencies", "ServiceOffered")
    LanguageServed = apps.get_model("agencies", "LanguageServed")
    for code in SERVICES:
        ServiceOffered.objects.get_or_create(code=code)
    for code in LANGUAGES:
        LanguageServed.objects.get_or_create(code=code)


def backwards(apps, schema_editor):
    apps.get_model("agencies", "ServiceOffered").objects.filter(code__in=SERVICES).delete()
    apps.get_model("agencies", "LanguageServed").objects.filter(code__in=LANGUAGES).delete()


class Migration(migrations.Migration):
    dependencies = [("agencies", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
