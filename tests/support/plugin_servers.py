"""pytest plugin: servers fixtures (registered in pytest.ini)."""
