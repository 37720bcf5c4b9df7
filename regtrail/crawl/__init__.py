"""Crawling: source configs and registry, the crawl context, the runner, the dry run, replay recovery."""
