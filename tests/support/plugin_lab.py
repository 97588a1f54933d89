"""pytest plugin: lab fixtures (registered in pytest.ini)."""
