import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _messages_in_english():
    """Assertions read messages in the source language, whatever translations are compiled."""
    with translation.override("en"):
        yield
