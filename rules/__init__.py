"""The rule library that ships with bevaka, installed as the data package ``bevaka_rules``:
one folder per pack (``pack.yaml`` + one YAML file per rule). See docs/rules.md."""
