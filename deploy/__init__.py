"""Deployment: images support, compose, Kubernetes (see the README's Deploy section)."""
