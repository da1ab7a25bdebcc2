from django.urls import path

app_name = "chatbot"

urlpatterns: list = []
