"""The containers a restart will stop, with their restart policies, said before the engine stops.

A switch stops the engine; dockerd stops every running container (killing it after its grace
period), and what happens next depends on the restart policy: ``no`` and ``on-failure`` stay
exited (also after switching back), ``always`` and ``unless-stopped`` start again when the engine
next runs the store they belong to, which after a switch is not the one it comes up on. The CLI
prints :func:`describe` before stopping anything, as the GUI's confirmation says it.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.errors import EngineError


@dataclass(frozen=True)
class Running:
    name: str
    image: str
    restart_policy: str  # "no", "always", "unless-stopped", "on-failure"

    @property
    def comes_back(self) -> bool:
        return self.restart_policy in ("always", "unless-stopped")


def running_containers(target, timeout: float = 10.0) -> list[Running]:
    """The engine's running containers (empty when it does not answer)."""
    found: list[Running] = []
    try:
        with target.client(timeout=timeout) as client:
            for c in client.request("GET", "/containers/json", params={"all": "0"}).json():
                ident = c.get("Id", "")
                try:
                    detail = client.request("GET", f"/containers/{ident}/json").json()
                    policy = (detail.get("HostConfig") or {}).get("RestartPolicy", {}).get("Name") or "no"
                except (EngineError, ValueError):
                    policy = "unknown"
                name = (c.get("Names") or [ident[:12]])[0].lstrip("/")
                found.append(Running(name, c.get("Image", ""), policy))
    except (EngineError, ValueError):
        return []
    return found


def describe(running: list[Running], to_title: str) -> list[str]:
    """Lines for people: which containers stop, and whether each comes back."""
    if not running:
        return []
    lines = [f"Stopping the engine stops {len(running)} running container{'s' if len(running) > 1 else ''}:"]
    for r in running:
        if r.comes_back:
            fate = "starts again when the engine next runs this store (not on the " + to_title + ")"
        else:
            fate = "stays stopped (start it again by hand)"
        lines.append(f"  {r.name} ({r.image}), restart policy '{r.restart_policy}': {fate}")
    return lines
