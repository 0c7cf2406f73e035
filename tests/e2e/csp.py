"""Catch what the Content-Security-Policy blocks in a browser context: every violation event any page
reports, and every console message that names the policy."""

from __future__ import annotations

from typing import Any

REPORT = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


def watch_csp(context: Any) -> list[str]:
    """Start listening on ``context``; returns the list the violations are added to (empty is good)."""
    found: list[str] = []
    context.expose_binding("__cspViolation", lambda _source, text: found.append(str(text)))
    context.add_init_script(REPORT)

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            found.append(message.text)

    context.on("console", on_console)
    return found
