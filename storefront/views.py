"""Server-rendered shop pages. Each page under ``/s/<shop_slug>/`` belongs to that shop and
speaks its language, whatever the host or the browser says."""

from __future__ import annotations

import hashlib

from django.contrib.auth.views import LoginView, LogoutView, redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils import translation

from .forms import EmailAuthenticationForm
from .models import Order, Product, Shop
from .resolver import PREFIX_RE, shop_by_slug

PRODUCTS_PER_PAGE = 24
FEATURED_COUNT = 8
DEMO_CUSTOMER = {"email": "demo@example.com", "password": "demo12345"}


def _speak_for(request: HttpRequest, shop: Shop) -> None:
    # The middleware resolved the shop from the host first; the URL's shop is the one the
    # page shows, so the page, its language and the chat widget follow the URL.
    request.shop = shop  # type: ignore[attr-defined]
    translation.activate(shop.language)
    request.LANGUAGE_CODE = shop.language


def _shop_or_404(request: HttpRequest, shop_slug: str) -> Shop:
    shop = shop_by_slug(shop_slug)
    if shop is None:
        raise Http404("No such shop.")
    _speak_for(request, shop)
    return shop


def grid_key(shop: Shop, products: list[Product]) -> str:
    """What a grid of product cards shows, hashed: the key of its rendered fragment
    (``{% cache %}`` in the templates). Rendering 24 cards was the costliest part of a
    product-list page (bench/load.py); the key holds every value a card prints, so a
    changed price, stock, name, image or category re-renders at once."""
    shown = [
        (p.pk, p.sku, p.name, str(p.price), p.in_stock, p.image_url, p.category.name if p.category else "")
        for p in products
    ]
    language = translation.get_language() or ""
    shown_text = repr((shop.slug, shop.currency, language, shown)).encode()
    return hashlib.blake2b(shown_text, digest_size=16).hexdigest()


def _render_home(request: HttpRequest, shop: Shop) -> HttpResponse:
    categories = shop.categories.annotate(product_count=Count("products")).filter(product_count__gt=0)
    in_stock = Product.objects.filter(shop=shop, stock__gt=0).select_related("category")
    featured = list(in_stock.filter(featured=True)[:FEATURED_COUNT])
    if not featured:
        featured = list(in_stock.order_by("-updated_at")[:FEATURED_COUNT])
    return render(
        request,
        "storefront/home.html",
        {"shop": shop, "categories": categories, "featured": featured, "grid_key": grid_key(shop, featured)},
    )


def landing(request: HttpRequest) -> HttpResponse:
    shop = getattr(request, "shop", None)
    host = request.get_host().split(":")[0].lower()
    if shop is not None and shop.domain and shop.domain == host:
        return _render_home(request, shop)
    return render(
        request,
        "storefront/landing.html",
        # shop=None: the landing page belongs to no shop, whatever the fallback resolved.
        {"shop": None, "shops": Shop.objects.order_by("slug"), "demo_customer": DEMO_CUSTOMER},
    )


def shop_home(request: HttpRequest, shop_slug: str) -> HttpResponse:
    return _render_home(request, _shop_or_404(request, shop_slug))


def product_list(request: HttpRequest, shop_slug: str) -> HttpResponse:
    shop = _shop_or_404(request, shop_slug)
    products = Product.objects.filter(shop=shop).select_related("category").order_by("name", "pk")
    query = request.GET.get("q", "").strip()
    if query:
        products = products.filter(
            Q(name__icontains=query) | Q(description__icontains=query) | Q(sku__icontains=query)
        )
    category = None
    category_slug = request.GET.get("category", "").strip()
    if category_slug:
        category = shop.categories.filter(slug=category_slug).first()
        products = products.filter(category=category) if category else products.none()
    page = Paginator(products, PRODUCTS_PER_PAGE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    return render(
        request,
        "storefront/product_list.html",
        {
            "shop": shop,
            "page": page,
            "products": shown,
            "grid_key": grid_key(shop, shown),
            "query": query,
            "category": category,
            "categories": shop.categories.all(),
        },
    )


def product_detail(request: HttpRequest, shop_slug: str, sku: str) -> HttpResponse:
    shop = _shop_or_404(request, shop_slug)
    product = get_object_or_404(Product.objects.select_related("category"), shop=shop, sku=sku)
    related = []
    if product.category_id:
        related = list(
            Product.objects.filter(shop=shop, category_id=product.category_id, stock__gt=0)
            .exclude(pk=product.pk)
            .select_related("category")[:4]
        )
    return render(
        request,
        "storefront/product_detail.html",
        {"shop": shop, "product": product, "related": related, "grid_key": grid_key(shop, related)},
    )


def my_orders(request: HttpRequest, shop_slug: str) -> HttpResponse:
    shop = _shop_or_404(request, shop_slug)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    orders = (
        Order.objects.filter(shop=shop, customer=request.user)
        .prefetch_related("lines__product")
        .order_by("-placed_at")
    )
    return render(request, "storefront/orders.html", {"shop": shop, "orders": orders})


def _shop_from_next(request: HttpRequest) -> Shop | None:
    target = request.POST.get("next") or request.GET.get("next") or ""
    match = PREFIX_RE.match(target)
    return shop_by_slug(match.group("slug")) if match else None


class SignInView(LoginView):
    form_class = EmailAuthenticationForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def dispatch(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        # Signing in on the way to a shop page happens in that shop's colours and language.
        shop = _shop_from_next(request)
        if shop is not None:
            _speak_for(request, shop)
        return super().dispatch(request, *args, **kwargs)

    def get_default_redirect_url(self) -> str:
        shop = getattr(self.request, "shop", None)
        return shop.get_absolute_url() if shop else "/"

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        context = super().get_context_data(**kwargs)
        context["demo_customer"] = DEMO_CUSTOMER
        return context


class SignOutView(LogoutView):
    next_page = "storefront:landing"
