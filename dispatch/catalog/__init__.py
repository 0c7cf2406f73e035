"""The catalog: skills and the service types customers can book."""
