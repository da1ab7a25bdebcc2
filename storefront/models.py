"""The demo storefront: several shops (tenants) in one site, each with its catalog,
FAQ/policies and orders. Customers are Django users."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Shop(models.Model):
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=120)
    currency = models.CharField(
        _("currency"),
        max_length=3,
        default="USD",
        validators=[RegexValidator(r"^[A-Z]{3}$", _("An ISO 4217 code such as USD or CNY."))],
    )
    language = models.CharField(_("language"), max_length=10, default="en", choices=settings.LANGUAGES)
    domain = models.CharField(
        _("domain"),
        max_length=253,
        blank=True,
        null=True,
        unique=True,
        help_text=_("Host name that serves this shop, e.g. shop.example.com. Optional."),
    )
    tagline = models.CharField(_("tagline"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("shop")
        verbose_name_plural = _("shops")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # An empty domain is "none": NULL keeps the unique constraint usable.
        self.domain = (self.domain or "").strip().lower() or None
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("storefront:home", kwargs={"shop_slug": self.slug})


class Category(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, allow_unicode=True)
    # Part of the catalog version the chatbot watches: a renamed category must show up in
    # product answers, so category edits have to change the version too.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["shop", "slug"], name="category_slug_unique_per_shop"),
            models.UniqueConstraint(fields=["shop", "name"], name="category_name_unique_per_shop"),
        ]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="products")
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="products"
    )
    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    price = models.DecimalField(
        _("price"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    stock = models.PositiveIntegerField(_("stock"), default=0)
    image_url = models.URLField(_("image URL"), max_length=500, blank=True)
    featured = models.BooleanField(
        _("featured"), default=False, help_text=_("Shown on the shop's home page.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.UniqueConstraint(fields=["shop", "sku"], name="product_sku_unique_per_shop"),
            models.CheckConstraint(condition=models.Q(price__gte=0), name="product_price_not_negative"),
        ]
        indexes = [models.Index(fields=["shop", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"

    def get_absolute_url(self) -> str:
        return reverse("storefront:product", kwargs={"shop_slug": self.shop.slug, "sku": self.sku})

    @property
    def in_stock(self) -> bool:
        return self.stock > 0


class FaqEntry(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="faq_entries")
    question = models.CharField(_("question"), max_length=300)
    answer = models.TextField(_("answer"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ entries")
        constraints = [
            models.UniqueConstraint(fields=["shop", "question"], name="faq_question_unique_per_shop"),
        ]

    def __str__(self) -> str:
        return self.question


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending payment")
        PAID = "paid", _("Paid")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="orders")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    number = models.CharField(_("order number"), max_length=32)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PAID)
    placed_at = models.DateTimeField(_("placed at"))
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    carrier = models.CharField(_("carrier"), max_length=60, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=60, blank=True)

    class Meta:
        ordering = ["-placed_at"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(fields=["shop", "number"], name="order_number_unique_per_shop"),
        ]
        indexes = [models.Index(fields=["shop", "customer", "-placed_at"])]

    def __str__(self) -> str:
        return self.number

    @property
    def total(self) -> Decimal:
        # Summed in Python so a prefetch of ``lines`` makes it free on list pages.
        return sum((line.price * line.quantity for line in self.lines.all()), Decimal("0"))


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="order_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product.name}"
