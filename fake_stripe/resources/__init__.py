"""The fake's API resources, one module per resource family. Every module here is imported, and importing one
registers its routes (its `Resource` declarations and their routes), so `routes` here is the route table with
every route of the fake: a new resource is a new module in this folder, nothing else to edit."""

import importlib
import pkgutil

from ..routing import routes

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["routes"]
