from django.urls import path

app_name = "storefront"

urlpatterns: list = []
