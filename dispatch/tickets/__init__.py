"""The service desk's tickets: questions, faults, visit requests and complaints from every channel."""
