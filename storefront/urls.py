from django.urls import path

from . import views

app_name = "storefront"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("s/<slug:shop_slug>/", views.shop_home, name="home"),
    path("s/<slug:shop_slug>/products/", views.product_list, name="products"),
    # SKUs carry '-', '_', '.' and, in some catalogs, '/': the path converter takes them all.
    path("s/<slug:shop_slug>/p/<path:sku>/", views.product_detail, name="product"),
    path("s/<slug:shop_slug>/orders/", views.my_orders, name="orders"),
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/logout/", views.SignOutView.as_view(), name="logout"),
]
