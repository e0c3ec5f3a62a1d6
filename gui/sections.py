"""The section table: the window's five sections, their pages' objectNames, and names for ``--tab``.

One table, read by the window (the section list and ``settingsTabs``), by ``--tab`` and
:meth:`gui.window.SettingsWindow.show_tab`, and by the error that lists the names a user may type.
A name is matched loosely (case, spaces and dashes ignored: "Docker Engine", "docker-engine",
"dockerEnginePage" are one section); the names offered back are the README's (``docker-engine``).
"""

from __future__ import annotations

SECTIONS = ("General", "Docker Engine", "Kubernetes", "Experimental", "Troubleshoot")
PAGE_NAMES = ("generalPage", "dockerEnginePage", "kubernetesPage", "experimentalPage", "troubleshootPage")


def tab_key(name: str) -> str:
    """*name* reduced for matching: lower case, letters and digits only."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


def tab_index(name: str) -> int:
    """The section of the tab named *name* (its title, its page's objectName, with or without "Page")."""
    wanted = tab_key(name)
    for i, (title, page_name) in enumerate(zip(SECTIONS, PAGE_NAMES)):
        if wanted in (tab_key(title), tab_key(page_name), tab_key(page_name.removesuffix("Page"))):
            return i
    raise ValueError(f"no tab named {name!r}; choose one of: {', '.join(tab_names())}")


def tab_names() -> list[str]:
    """The names ``--tab`` suggests, as the README spells them (``docker-engine``)."""
    return [title.lower().replace(" ", "-") for title in SECTIONS]
