"""Local-only pages next to the API: the widget demo, the widget's script, Swagger UI and the
OpenAPI document. The deployed API has none of them (its handler never enables Swagger).

    /                     a demo page with <setup-checklist> and a switch between the demo OUs
    /setup-checklist.js   the widget (web/setup-checklist.js), as a product page would load it
    /docs                 Swagger UI, rendered by Powertools with its JS and CSS inlined
    /docs/openapi.json    the OpenAPI document (what docs/openapi.json holds)
"""

import html
from typing import Final, cast

from aws_lambda_powertools.event_handler import Response

from local.cfn_template import PROJECT_ROOT
from local.demo_data import DEMO_PRINCIPAL, DEMO_TOKENS, MEMBERSHIPS
from local.http_front import LocalSite
from local.lambda_runtime import LambdaHandler
from local.openapi import TITLE, documented_resolver, openapi_json

DEMO_PATH: Final = "/"
WIDGET_PATH: Final = "/setup-checklist.js"
DOCS_PATH: Final = "/docs"
OPENAPI_JSON_PATH: Final = "/docs/openapi.json"
SITE_PATHS: Final = frozenset({DEMO_PATH, WIDGET_PATH, DOCS_PATH, OPENAPI_JSON_PATH})

WIDGET_SOURCE: Final = PROJECT_ROOT / "web" / "setup-checklist.js"
# The demo user's token that names no OU, so the activeOu cookie chooses it.
DEMO_TOKEN: Final = next(
    token for token, context in DEMO_TOKENS.items() if context == {"principal_id": DEMO_PRINCIPAL}
)
DEFAULT_OU: Final = "ou-partial"
# What each demo OU shows, for the switch; an OU missing here is listed by its id alone.
OU_DESCRIPTIONS: Final = {
    "ou-empty": "no step done yet",
    "ou-partial": "one of three steps done",
    "ou-complete": "every step done",
    "ou-suspended": "membership suspended: 403",
    "ou-restricted": "someone else's OU: 403",
}
# Query parameters of the demo page passed on to the widget as attributes (tests shorten them).
WIDGET_ATTRIBUTES: Final = ("interval", "max-interval", "hide-after")

NO_STORE: Final = {"Cache-Control": "no-store"}


def demo_ous() -> list[str]:
    """Every OU of the demo data, in the order it lists them."""
    return list(dict.fromkeys(str(membership["ou_id"]) for membership in MEMBERSHIPS))


def demo_page() -> str:
    options = "\n".join(
        f'        <option value="{html.escape(ou)}">{html.escape(_option_label(ou))}</option>'
        for ou in demo_ous()
    )
    return _DEMO_PAGE.format(
        title=html.escape(TITLE),
        options=options,
        default_ou=html.escape(DEFAULT_OU),
        token=html.escape(DEMO_TOKEN),
        widget=WIDGET_PATH,
        docs=DOCS_PATH,
        attributes=html.escape(",".join(WIDGET_ATTRIBUTES)),
    )


def local_site() -> LocalSite:
    """The pages for local.http_front. Build it once the environment is set, as the handler."""
    return LocalSite(site_handler(), SITE_PATHS)


def site_handler() -> LambdaHandler:
    """The local pages as one function taking API Gateway (2.0) events, like the API itself."""
    resolver = documented_resolver()
    resolver.enable_swagger(path=DOCS_PATH)

    def openapi_document() -> Response[str]:
        return Response(200, "application/json", openapi_json(), dict(NO_STORE))

    def demo() -> Response[str]:
        return Response(200, "text/html; charset=utf-8", demo_page(), dict(NO_STORE))

    def widget() -> Response[str]:
        source = WIDGET_SOURCE.read_text(encoding="utf-8")
        return Response(200, "text/javascript; charset=utf-8", source, dict(NO_STORE))

    resolver.get(OPENAPI_JSON_PATH, include_in_schema=False)(openapi_document)
    resolver.get(DEMO_PATH, include_in_schema=False)(demo)
    resolver.get(WIDGET_PATH, include_in_schema=False)(widget)
    return cast(LambdaHandler, resolver.resolve)


def _option_label(ou: str) -> str:
    description = OU_DESCRIPTIONS.get(ou)
    return ou if description is None else f"{ou} ({description})"


# Doubled braces are literal: the page is filled in with str.format.
_DEMO_PAGE: Final = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Setup checklist demo: {title}</title>
    <script type="module" src="{widget}"></script>
    <style>
      body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 40rem;
              padding: 0 1rem; color: #1f2933; background: #f5f7fa; }}
      h1 {{ font-size: 1.5rem; }}
      form {{ margin: 1rem 0 1.5rem; }}
      label {{ font-weight: 600; margin-right: 0.5rem; }}
      select {{ font: inherit; padding: 0.25rem; }}
      select:focus-visible {{ outline: 3px solid #1650c5; outline-offset: 2px; }}
      footer {{ margin-top: 2rem; color: #52606d; }}
    </style>
  </head>
  <body>
    <header>
      <h1>Overview</h1>
      <p>The <code>&lt;setup-checklist&gt;</code> widget against the local API and demo data.
         It re-checks when this window gets focus.</p>
    </header>
    <form id="ou-switch" onsubmit="return false">
      <label for="ou">Organizational Unit</label>
      <select id="ou" name="ou">
{options}
      </select>
    </form>
    <main id="widget-slot"></main>
    <footer><a href="{docs}">API documentation (OpenAPI)</a></footer>
    <script type="module">
      const select = document.getElementById("ou");
      const slot = document.getElementById("widget-slot");
      const query = new URLSearchParams(window.location.search);

      // The widget sends the page's cookies: the demo token's principal gets its OU from the
      // activeOu cookie, as the product's web app sets it.
      function show(ou) {{
        document.cookie = `activeOu=${{encodeURIComponent(ou)}}; path=/; SameSite=Strict`;
        const widget = document.createElement("setup-checklist");
        widget.setAttribute("token", "{token}");
        for (const name of "{attributes}".split(",")) {{
          if (query.has(name)) widget.setAttribute(name, query.get(name));
        }}
        slot.replaceChildren(widget);
      }}

      select.value = query.get("ou") || "{default_ou}";
      select.addEventListener("change", () => show(select.value));
      show(select.value);
    </script>
  </body>
</html>
"""
