"""pytest plugin: koji fixtures (registered in pytest.ini)."""
