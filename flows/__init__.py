"""Prefect flows: thin orchestration of the crawlers, warehouse and nlp stages."""
