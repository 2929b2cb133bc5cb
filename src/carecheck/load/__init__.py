"""Reading definitions: YAML files found by name or path, `extends` merged, checked, compiled and cached."""
