"""Built-in evidence kinds. Importing this package registers them, in this order (the order of
columns and of the schema's ``oneOf``), so the imports are deliberately not sorted."""

# ruff: noqa: I001
from .union_dialogue import UnionDialogue
from .wage import Wage
from .retaliation import Retaliation
from .statement import Statement
from .assessment import Assessment
from .screening import Screening

__all__ = ["Assessment", "Retaliation", "Screening", "Statement", "UnionDialogue", "Wage"]
