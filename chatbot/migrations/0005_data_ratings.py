import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("chatbot", "0004_message_action"),
    ]

    operations = [
        migrations.CreateModel(
            name="ShopNumbers",
            fields=[],
            options={
                "verbose_name": "numbers",
                "verbose_name_plural": "numbers",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("chatbot.conversation",),
        ),
        migrations.AddField(
            model_name="message",
            name="declined",
            field=models.BooleanField(default=False),
        ),
        migrations.CreateModel(
            name="ConversationRating",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "score",
                    models.PositiveSmallIntegerField(
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(5),
                        ],
                        verbose_name="score",
                    ),
                ),
                ("comment", models.TextField(blank=True, max_length=1000, verbose_name="comment")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="rated at")),
                (
                    "conversation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="ratings",
                        to="chatbot.conversation",
                    ),
                ),
            ],
            options={
                "verbose_name": "rating",
                "verbose_name_plural": "ratings",
                "ordering": ["created_at", "id"],
            },
        ),
    ]
