"""Spiders of the Resonanz Scrapy project."""
