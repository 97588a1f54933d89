"""pytest plugin: builders fixtures (registered in pytest.ini)."""
