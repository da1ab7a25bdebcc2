from django.contrib import admin
from django.db import models
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .models import Category, FaqEntry, Order, OrderLine, Product, Shop
from .templatetags.shop_tags import money


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "currency", "language", "domain", "product_count"]
    search_fields = ["name", "slug", "domain"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(product_count=Count("products"))

    @admin.display(description=_("products"), ordering="product_count")
    def product_count(self, shop: Shop) -> int:
        return shop.product_count  # type: ignore[attr-defined]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "shop", "slug", "updated_at"]
    list_filter = ["shop"]
    search_fields = ["name", "slug"]
    list_select_related = ["shop"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "shop", "category", "price", "stock", "featured", "updated_at"]
    list_display_links = ["sku", "name"]
    list_editable = ["stock", "featured"]
    list_filter = ["shop", "featured", "category"]
    search_fields = ["sku", "name", "description"]
    list_select_related = ["shop", "category"]
    autocomplete_fields = ["category"]
    list_per_page = 50

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # Django 5.x warns that URL fields will assume https in 6.0; opt in now (the tests
        # turn deprecation warnings into errors).
        if isinstance(db_field, models.URLField):
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(FaqEntry)
class FaqEntryAdmin(admin.ModelAdmin):
    list_display = ["question", "shop", "updated_at"]
    list_filter = ["shop"]
    search_fields = ["question", "answer"]
    list_select_related = ["shop"]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    autocomplete_fields = ["product"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "shop",
        "customer",
        "status",
        "placed_at",
        "carrier",
        "tracking_number",
        "total_display",
    ]
    list_filter = ["status", "shop", "carrier"]
    search_fields = ["number", "customer__email", "customer__username", "tracking_number"]
    list_select_related = ["shop", "customer"]
    date_hierarchy = "placed_at"
    autocomplete_fields = ["customer"]
    inlines = [OrderLineInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("lines")

    @admin.display(description=_("total"))
    def total_display(self, order: Order) -> str:
        return money(order.total, order.shop.currency)
