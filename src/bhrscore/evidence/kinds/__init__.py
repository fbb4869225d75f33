"""Built-in evidence kinds. Importing this package registers them, in this order."""

from .union_dialogue import UnionDialogue
from .wage import Wage
from .retaliation import Retaliation
from .statement import Statement
from .assessment import Assessment

__all__ = ["Assessment", "Retaliation", "Statement", "UnionDialogue", "Wage"]
