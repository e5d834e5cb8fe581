// <setup-checklist>: the onboarding setup checklist as a dependency-free web component.
//
// Drop it into any page, no framework and no build step:
//
//   <script type="module" src="/setup-checklist.js"></script>
//   <setup-checklist></setup-checklist>
//
// It calls GET /onboarding/status with the page's credentials (cookies, and an optional bearer
// token), shows the ordered steps with a check for completed ones and a link to each step's
// action_path, and "N of M complete". It re-checks when the window regains focus and on a
// gentle interval that backs off exponentially while nothing changes (each re-check sends
// If-None-Match with the last ETag, so an unchanged status costs a body-less 304). When every
// step is complete it shows a success message, then hides itself.
//
// Attributes (all optional):
//   endpoint      URL of the status API (default /onboarding/status)
//   token         bearer token sent as Authorization (for demos; pages normally use cookies)
//   interval      seconds before the first re-check (default 30); doubles while unchanged
//   max-interval  the longest wait between re-checks, in seconds (default 300)
//   hide-after    seconds the success message stays before the widget hides (default 5)
//   action-base   base URL for the step links (default: the page's own origin)
//
// Events: "setup-checklist-complete" once every step is done (before hiding),
//         "setup-checklist-hidden" when it has hidden itself.
// Method: refresh() re-checks now.

const DEFAULT_ENDPOINT = "/onboarding/status";
const DEFAULT_INTERVAL_SECONDS = 30;
const DEFAULT_MAX_INTERVAL_SECONDS = 300;
const DEFAULT_HIDE_AFTER_SECONDS = 5;

// Short, human messages per failure; the API's own bodies are never shown.
const MESSAGES = {
  401: "Your session has ended. Sign in again to see your setup progress.",
  403: "You don't have access to the setup checklist of this organization.",
  503: "Setup progress is temporarily unavailable. We'll try again shortly.",
  network: "We couldn't reach the server. We'll try again shortly.",
  other: "Something went wrong while loading your setup progress.",
};

const SUCCESS_MESSAGE = "All set! Your workspace setup is complete.";

const template = document.createElement("template");
template.innerHTML = `
<style>
  :host {
    display: block;
    font: inherit;
    color: #1f2933;
    max-width: 32rem;
  }
  :host([hidden]) { display: none; }
  .panel {
    border: 1px solid #cbd2d9;
    border-radius: 8px;
    padding: 1rem 1.25rem;
    background: #fff;
  }
  h2 { font-size: 1.125rem; margin: 0 0 0.25rem; }
  .progress { margin: 0 0 0.75rem; color: #52606d; }
  ol { list-style: none; margin: 0; padding: 0; }
  li {
    display: flex;
    align-items: center;
    gap: 0.625rem;
    padding: 0.5rem 0;
    border-top: 1px solid #e4e7eb;
  }
  li:first-child { border-top: none; }
  .mark {
    flex: none;
    width: 1.375rem;
    height: 1.375rem;
    border-radius: 50%;
    border: 2px solid #9aa5b1;
    box-sizing: border-box;
    display: inline-flex;
    align-items: center;
    justify-content: center;
    font-size: 0.875rem;
    line-height: 1;
  }
  li[data-completed="true"] .mark { background: #0e7c3a; border-color: #0e7c3a; color: #fff; }
  li[data-completed="true"] a { color: #52606d; text-decoration: line-through; }
  a { color: #1650c5; text-underline-offset: 2px; }
  a:focus-visible {
    outline: 3px solid #1650c5;
    outline-offset: 2px;
    border-radius: 2px;
  }
  .success {
    margin: 0.75rem 0 0;
    padding: 0.5rem 0.75rem;
    border-radius: 6px;
    background: #e3f9e5;
    color: #05400a;
    font-weight: 600;
  }
  .error {
    margin: 0.75rem 0 0;
    padding: 0.5rem 0.75rem;
    border-radius: 6px;
    background: #ffe3e3;
    color: #610404;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
  [hidden] { display: none !important; }
</style>
<section class="panel" part="panel" aria-labelledby="title" aria-busy="true">
  <h2 id="title" part="title">Set up your workspace</h2>
  <p class="progress" id="progress" part="progress" role="status" aria-live="polite">Loading your setup progress…</p>
  <ol id="steps" part="steps" role="list" aria-labelledby="title"></ol>
  <p class="success" id="success" part="success" role="status" aria-live="polite" hidden></p>
  <p class="error" id="error" part="error" role="alert" hidden></p>
</section>
`;

export class SetupChecklist extends HTMLElement {
  #etag = null;
  #status = null;
  #delaySeconds = DEFAULT_INTERVAL_SECONDS;
  #timer = null;
  #hideTimer = null;
  #inFlight = null;
  #abort = null;
  #done = false;
  #onFocus = () => this.refresh();
  #onVisibility = () => {
    if (document.visibilityState === "visible") this.refresh();
  };

  constructor() {
    super();
    this.attachShadow({ mode: "open" }).append(template.content.cloneNode(true));
  }

  connectedCallback() {
    this.#delaySeconds = this.#interval();
    window.addEventListener("focus", this.#onFocus);
    document.addEventListener("visibilitychange", this.#onVisibility);
    this.refresh();
  }

  disconnectedCallback() {
    this.#stop();
    this.#abort?.abort();
  }

  /** Re-check now (a check already under way is shared, not repeated). */
  refresh() {
    if (this.#done) return Promise.resolve();
    if (!this.#inFlight) {
      clearTimeout(this.#timer);
      this.#inFlight = this.#check().finally(() => {
        this.#inFlight = null;
        this.#schedule();
      });
    }
    return this.#inFlight;
  }

  async #check() {
    this.#abort = new AbortController();
    let response;
    try {
      response = await fetch(this.getAttribute("endpoint") || DEFAULT_ENDPOINT, {
        method: "GET",
        credentials: "include",
        // Revalidation is done here, with the ETag this element holds, so the browser's own
        // cache is kept out of the way.
        cache: "no-store",
        headers: this.#requestHeaders(),
        signal: this.#abort.signal,
      });
    } catch (error) {
      if (error?.name === "AbortError") return;
      this.#failed(MESSAGES.network);
      return;
    }
    if (response.status === 304) {
      this.#unchanged();
      return;
    }
    if (!response.ok) {
      this.#failed(MESSAGES[response.status] || MESSAGES.other, retryAfter(response));
      return;
    }
    let status;
    try {
      status = validStatus(await response.json());
    } catch {
      this.#failed(MESSAGES.other);
      return;
    }
    const etag = response.headers.get("ETag");
    if (etag !== null && etag === this.#etag && this.#status !== null) {
      this.#unchanged();
      return;
    }
    this.#etag = etag;
    this.#changed(status);
  }

  #requestHeaders() {
    const headers = { Accept: "application/json" };
    const token = this.getAttribute("token");
    if (token) headers.Authorization = `Bearer ${token}`;
    // Only when what is shown came with this ETag: after an error the list must be redrawn.
    if (this.#etag && this.#status !== null) headers["If-None-Match"] = this.#etag;
    return headers;
  }

  #unchanged() {
    this.#showError(null);
    this.#delaySeconds = Math.min(this.#delaySeconds * 2, this.#maxInterval());
  }

  #changed(status) {
    const previous = this.#status;
    this.#status = status;
    this.#delaySeconds = this.#interval();
    this.#showError(null);
    this.#render(status, previous);
    if (status.all_complete) this.#complete();
  }

  #failed(message, retryAfterSeconds = 0) {
    this.#status = null;
    this.#showError(message);
    const backedOff = Math.min(this.#delaySeconds * 2, this.#maxInterval());
    this.#delaySeconds = Math.max(backedOff, retryAfterSeconds);
  }

  #render(status, previous) {
    const root = this.shadowRoot;
    root.querySelector("section").setAttribute("aria-busy", "false");
    root.getElementById("steps").replaceChildren(...status.steps.map((step) => this.#item(step)));
    const progress = `${status.completed_count} of ${status.total_count} complete`;
    const newlyDone = status.steps.filter(
      (step) => step.completed && previous?.steps.some((p) => p.id === step.id && !p.completed),
    );
    // The live region reads this out: say which step just got done, not only the count.
    root.getElementById("progress").textContent = newlyDone.length
      ? `${newlyDone.map((step) => step.label).join(", ")}: done. ${progress}`
      : progress;
  }

  #item(step) {
    const item = document.createElement("li");
    item.dataset.stepId = step.id;
    item.dataset.completed = String(step.completed);
    const mark = document.createElement("span");
    mark.className = "mark";
    mark.setAttribute("aria-hidden", "true");
    mark.textContent = step.completed ? "✓" : "";
    const href = this.#actionUrl(step.action_path);
    const label = document.createElement(href ? "a" : "span");
    label.className = "label";
    label.textContent = step.label;
    if (href) label.href = href;
    const state = document.createElement("span");
    state.className = "visually-hidden";
    state.textContent = step.completed ? " (completed)" : " (not completed)";
    item.append(mark, label, state);
    return item;
  }

  #actionUrl(path) {
    // Only same-site paths become links: never javascript: or another host from the data.
    if (typeof path !== "string" || !path.startsWith("/") || path.startsWith("//")) return null;
    return new URL(path, this.getAttribute("action-base") || window.location.origin).href;
  }

  #complete() {
    this.#done = true;
    this.#stop();
    const success = this.shadowRoot.getElementById("success");
    success.textContent = SUCCESS_MESSAGE;
    success.hidden = false;
    this.dispatchEvent(new CustomEvent("setup-checklist-complete", { bubbles: true }));
    this.#hideTimer = setTimeout(() => {
      this.hidden = true;
      this.dispatchEvent(new CustomEvent("setup-checklist-hidden", { bubbles: true }));
    }, this.#seconds("hide-after", DEFAULT_HIDE_AFTER_SECONDS) * 1000);
  }

  #showError(message) {
    const error = this.shadowRoot.getElementById("error");
    if (message === null) {
      error.hidden = true;
      error.textContent = "";
      return;
    }
    this.shadowRoot.querySelector("section").setAttribute("aria-busy", "false");
    this.shadowRoot.getElementById("steps").replaceChildren();
    this.shadowRoot.getElementById("progress").textContent = "";
    error.textContent = message;
    error.hidden = false;
  }

  #schedule() {
    if (this.#done || !this.isConnected) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      // A background tab is not polled; it re-checks when it becomes visible again.
      if (document.visibilityState === "hidden") return;
      this.refresh();
    }, this.#delaySeconds * 1000);
  }

  #stop() {
    clearTimeout(this.#timer);
    window.removeEventListener("focus", this.#onFocus);
    document.removeEventListener("visibilitychange", this.#onVisibility);
  }

  #interval() {
    // At least a second: this is a gentle poll, never a busy loop.
    return Math.max(1, this.#seconds("interval", DEFAULT_INTERVAL_SECONDS));
  }

  #maxInterval() {
    return Math.max(this.#interval(), this.#seconds("max-interval", DEFAULT_MAX_INTERVAL_SECONDS));
  }

  #seconds(name, fallback) {
    const value = Number.parseFloat(this.getAttribute(name) ?? "");
    return Number.isFinite(value) && value >= 0 ? value : fallback;
  }
}

function retryAfter(response) {
  const seconds = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
}

function validStatus(body) {
  const ok =
    body !== null &&
    typeof body === "object" &&
    Array.isArray(body.steps) &&
    body.steps.every(
      (step) =>
        step !== null &&
        typeof step.id === "string" &&
        typeof step.label === "string" &&
        typeof step.completed === "boolean",
    ) &&
    typeof body.all_complete === "boolean" &&
    Number.isInteger(body.completed_count) &&
    Number.isInteger(body.total_count);
  if (!ok) throw new TypeError("not an onboarding status");
  return body;
}

if (!customElements.get("setup-checklist")) {
  customElements.define("setup-checklist", SetupChecklist);
}
