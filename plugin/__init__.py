"""The GUI side of JoinedUp: plugin class, menus, toolbar and the dependency check."""
