app_name = "credit_v1"

urlpatterns: list = []
