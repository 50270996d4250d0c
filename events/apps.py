from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Open edX events"

    def ready(self) -> None:
        from events.receivers import connect_receivers

        connect_receivers()
