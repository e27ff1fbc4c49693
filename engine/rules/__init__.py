"""The rule language: schema, expressions, type checking, evaluation, durable compilation and
the loader of rule packs."""
