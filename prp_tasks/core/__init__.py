"""The pure core: models, the gate DAG, evaluation, rendering. Imports only stdlib and pydantic."""
