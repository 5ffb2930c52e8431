"""The HTTP shell: FastAPI routers over the services (UiTPAS API 4.0 profile and native /v1)."""
