"""`dvt connections`: saved connections."""

from __future__ import annotations

import click

from ..connections import delete_named, load_named, parse_url, save_named
from .running import guard


@click.group()
def connections() -> None:
    """Saved connections (a YAML file in $DVT_CONFIG_HOME or ~/.config/dbtools-dvt)."""


@connections.command("add")
@click.argument("name")
@click.argument("url")
@guard
def connections_add(name: str, url: str) -> None:
    """Save URL under NAME, e.g. `dvt connections add pg postgresql://postgres@localhost/db`."""
    path = save_named(name, url)
    click.echo(f"saved {name} → {parse_url(url).display} in {path}")


@connections.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@guard
def connections_list(fmt: str) -> None:
    """List saved connections (passwords masked)."""
    named = {n: parse_url(u).display for n, u in load_named().items()}
    if fmt == "json":
        import json

        click.echo(json.dumps(named, indent=2))
        return
    for name, url in sorted(named.items()):
        click.echo(f"{name}\t{url}")


@connections.command("delete")
@click.argument("name")
@guard
def connections_delete(name: str) -> None:
    """Delete a saved connection."""
    delete_named(name)
    click.echo(f"deleted {name}")
