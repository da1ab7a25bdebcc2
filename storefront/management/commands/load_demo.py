"""``manage.py load_demo``: the two demo shops, their customers and orders. Re-runnable:
catalogs go through ``import_catalog`` (upsert by SKU), people and orders are matched by
username and order number, and demo passwords are reset to the documented ones."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from storefront.models import Order, OrderLine, Product, Shop

DEMO_DIR = Path(__file__).resolve().parent.parent.parent / "demo"


@dataclass(frozen=True)
class DemoShop:
    slug: str
    name: str
    currency: str
    language: str
    tagline: str
    products: str  # CSV file in storefront/demo/
    faq: str
    featured: tuple[str, ...]  # SKUs shown on the home page


SHOPS = [
    DemoShop(
        slug="demo",
        name="Northwind Outfitters",
        currency="USD",
        language="en",
        tagline="Gear for trails, campsites and rainy cities.",
        products="northwind_products.csv",
        faq="northwind_faq.csv",
        featured=(
            "NW-TNT-2P-GRN",
            "NW-PK-38L-BLK",
            "NW-JKT-RAIN-W-CRL",
            "NW-JKT-DWN-M-BLK",
            "NW-BOOT-HIK-M-BRN",
            "NW-SB-DWN-M5",
            "NW-LMP-HEAD-400",
            "NW-BTL-INS-750",
        ),
    ),
    DemoShop(
        slug="demo-zh",
        name="禾木茶居",
        currency="CNY",
        language="zh-hans",
        tagline="好茶、好器、好生活",
        products="hemu_products.csv",
        faq="hemu_faq.csv",
        featured=(
            "ZH-LJ-MQ-250",
            "ZH-DHP-WY-150",
            "ZH-JJM-100",
            "ZH-PE-SHENG-357",
            "ZH-ZS-XS-200",
            "ZH-GW-BC-150",
            "ZH-HUP-TT-08",
            "ZH-GIFT-2024",
        ),
    ),
]

CUSTOMERS = {
    "demo@example.com": {"password": "demo12345", "first_name": "Alex", "last_name": "Morgan"},
    "other@example.com": {"password": "other12345", "first_name": "Sam", "last_name": "Rivera"},
}
ADMIN = {"username": "admin", "password": "admin12345", "email": "admin@example.com"}


@dataclass(frozen=True)
class DemoOrder:
    shop: str
    number: str
    customer: str
    status: str
    days_ago: int
    lines: tuple[tuple[str, int], ...]  # (sku, quantity)
    shipped_days_ago: int | None = None
    carrier: str = ""
    tracking: str = ""


ORDERS = [
    # Northwind Outfitters — the demo customer
    DemoOrder("demo", "NW-10031", "demo@example.com", "delivered", 48,
              (("NW-PK-22L-TEA", 1), ("NW-BTL-INS-750", 2)), 46, "UPS", "1Z999AA10123456784"),
    DemoOrder("demo", "NW-10036", "demo@example.com", "refunded", 30,
              (("NW-BOOT-HIK-M-BRN", 1),), 29, "USPS", "9400111899223817465033"),
    DemoOrder("demo", "NW-10039", "demo@example.com", "cancelled", 12, (("NW-TNT-4P-SND", 1),)),
    DemoOrder("demo", "NW-10042", "demo@example.com", "shipped", 4,
              (("NW-TNT-2P-GRN", 1), ("NW-FPRINT-2P", 1), ("NW-SOCK_MERINO.M", 2)),
              2, "UPS", "1Z999AA10123459876"),
    DemoOrder("demo", "NW-10047", "demo@example.com", "paid", 1,
              (("NW-JKT-RAIN-M-BLU", 1), ("NW-LMP-HEAD-400", 1))),
    # Northwind Outfitters — another customer, for isolation checks
    DemoOrder("demo", "NW-10043", "other@example.com", "shipped", 3,
              (("NW-SB-DWN-M5", 1), ("NW-PAD-AIR-R", 1)), 2, "FedEx", "794612345678"),
    DemoOrder("demo", "NW-10045", "other@example.com", "delivered", 20,
              (("NW-SHOE-TRL-U-BLU", 1),), 18, "USPS", "9400111899223817465099"),
    # 禾木茶居 — the demo customer
    DemoOrder("demo-zh", "ZH-20011", "demo@example.com", "delivered", 40,
              (("ZH-TGY-QX-250", 2), ("ZH-GW-BC-150", 1)), 39, "顺丰速运", "SF1498765432109"),
    DemoOrder("demo-zh", "ZH-20013", "demo@example.com", "refunded", 25,
              (("ZH-HUP-JSH-1", 1),), 24, "中通快递", "78341234567890"),
    DemoOrder("demo-zh", "ZH-20015", "demo@example.com", "cancelled", 10, (("ZH-ZS-XS-200", 1),)),
    DemoOrder("demo-zh", "ZH-20017", "demo@example.com", "shipped", 3,
              (("ZH-LJ-MQ-250", 1), ("ZH-CB-SET-6", 1)), 2, "顺丰速运", "SF1412345678901"),
    DemoOrder("demo-zh", "ZH-20019", "demo@example.com", "paid", 0,
              (("ZH-PE-SHU-357", 2), ("ZH-LH-QT-6", 1))),
    # 禾木茶居 — another customer
    DemoOrder("demo-zh", "ZH-20016", "other@example.com", "shipped", 5,
              (("ZH-DHONG-250", 3),), 4, "中通快递", "78349876543210"),
    DemoOrder("demo-zh", "ZH-20018", "other@example.com", "paid", 1, (("ZH-GIFT-2024", 1),)),
]  # fmt: skip


class Command(BaseCommand):
    help = "Load (or refresh) the demo shops, customers, orders and the admin user. Safe to re-run."

    def handle(self, *args: object, **options: object) -> None:
        for demo_shop in SHOPS:
            call_command(
                "import_catalog",
                str(DEMO_DIR / demo_shop.products),
                shop=demo_shop.slug,
                name=demo_shop.name,
                currency=demo_shop.currency,
                language=demo_shop.language,
                faq=str(DEMO_DIR / demo_shop.faq),
                no_progress=True,
                stdout=self.stdout,
                stderr=self.stderr,
            )
            shop = Shop.objects.get(slug=demo_shop.slug)
            if shop.tagline != demo_shop.tagline:
                shop.tagline = demo_shop.tagline
                shop.save()
            Product.objects.filter(shop=shop, sku__in=demo_shop.featured).update(featured=True)

        with transaction.atomic():
            users = {email: self._customer(email, **details) for email, details in CUSTOMERS.items()}
            self._admin()
            now = timezone.now()
            for demo_order in ORDERS:
                self._order(demo_order, users, now)

        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write("  Shops: /s/demo/ (English, USD) and /s/demo-zh/ (简体中文, CNY)")
        for email, details in CUSTOMERS.items():
            self.stdout.write(f"  Customer: {email} / {details['password']}")
        self.stdout.write(f"  Admin (/admin/): {ADMIN['username']} / {ADMIN['password']}")

    def _customer(self, email: str, *, password: str, first_name: str, last_name: str):
        # username = email, so the stock auth backend signs customers in by email.
        user, _ = get_user_model().objects.update_or_create(
            username=email,
            defaults={"email": email, "first_name": first_name, "last_name": last_name, "is_active": True},
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        return user

    def _admin(self) -> None:
        user, _ = get_user_model().objects.update_or_create(
            username=ADMIN["username"],
            defaults={"email": ADMIN["email"], "is_staff": True, "is_superuser": True, "is_active": True},
        )
        user.set_password(ADMIN["password"])
        user.save(update_fields=["password"])

    def _order(self, spec: DemoOrder, users: dict, now: dt.datetime) -> None:
        shop = Shop.objects.get(slug=spec.shop)
        shipped_at = None
        if spec.shipped_days_ago is not None:
            shipped_at = now - dt.timedelta(days=spec.shipped_days_ago)
        order, _ = Order.objects.update_or_create(
            shop=shop,
            number=spec.number,
            defaults={
                "customer": users[spec.customer],
                "status": spec.status,
                "placed_at": now - dt.timedelta(days=spec.days_ago, hours=3),
                "shipped_at": shipped_at,
                "carrier": spec.carrier,
                "tracking_number": spec.tracking,
            },
        )
        skus = [sku for sku, _quantity in spec.lines]
        products = {p.sku: p for p in Product.objects.filter(shop=shop, sku__in=skus)}
        order.lines.all().delete()
        OrderLine.objects.bulk_create(
            OrderLine(order=order, product=products[sku], quantity=quantity, price=products[sku].price)
            for sku, quantity in spec.lines
        )
