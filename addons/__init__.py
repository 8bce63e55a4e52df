"""Jimu's built-in addons. Each is found through the ``jimucrm.addons`` entry points."""
