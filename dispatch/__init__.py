"""Field-service dispatch: the domain core (models, state machines, services). No Flask, no HTTP."""
