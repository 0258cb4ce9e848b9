import { createMemo, createSignal, For, onCleanup, onMount, Show } from "solid-js";
import { Dynamic } from "solid-js/web";
import { call } from "./api";
import { AppErrorBoundary } from "./components/AppErrorBoundary";
import { ApprovalDialog } from "./components/Approval";
import { Dialog } from "./components/Dialog";
import { visibleNav } from "./nav";
import { loadLowCount } from "./screens/StockList";
import { app, can, lockNow, logout, setApp } from "./session";
import { openPark, park, setTill, till } from "./screens/till/state";

/** The signed-in frame: header (shop, user, Lock), left navigation, the screen. */
/** The Alt+key of the nth navigation item (0-based): 1…9, then 0; none after the tenth. */
export function shortcut(i: number): string {
  return i < 9 ? String(i + 1) : i === 9 ? "0" : "";
}

/** Logging out or locking with a shift open: what is about to happen, and the shift. */
interface Leaving {
  kind: "lock" | "logout";
  shiftNumber: number;
}

const [leaving, setLeaving] = createSignal<Leaving | null>(null);

function leaveNow(kind: Leaving["kind"]): Promise<void> {
  setLeaving(null);
  return kind === "lock" ? lockNow() : logout();
}

/**
 * Lock or log out; with a shift open it asks first (the drawer stays open with
 * its cash, and the next person at the till sells into it).
 */
export async function guardLeave(kind: Leaving["kind"]): Promise<void> {
  let shiftNumber: number | null = null;
  try {
    shiftNumber = (await call("shifts.current", {}))?.number ?? null;
  } catch {
    // Can't tell: never keep anyone from locking or leaving the till.
  }
  if (shiftNumber === null) return leaveNow(kind);
  setLeaving({ kind, shiftNumber });
}

/**
 * "Switch user" on a shared till: the cart is parked as a held sale labelled
 * with the cashier's name (the next person recalls it from Held), then back
 * to the sign-in (the PIN tiles when the shop uses them). The drawer's shift
 * stays open on purpose, so there is no warning: the next cashier sells into it.
 */
export async function switchUser(): Promise<void> {
  if (till.lines.length > 0) {
    openPark();
    setTill("parkLabel", `${app.session?.display_name ?? "Cashier"}'s sale`.slice(0, 60));
    // Not parked (the error is on screen): stay, so the cart is not lost.
    if (!(await park())) return;
  }
  await logout();
}

export function Frame() {
  const items = createMemo(() => visibleNav(app.session?.role, app.roles));
  const current = createMemo(() => items().find((i) => i.id === app.screen) ?? items()[0]);

  // Alt+1…9 opens the nth item, Alt+0 the tenth; Alt+L locks the till.
  const onKey = (e: KeyboardEvent) => {
    if (!e.altKey || e.ctrlKey || e.metaKey || app.session?.locked) return;
    if (e.key === "l" || e.key === "L") {
      e.preventDefault();
      void guardLeave("lock");
      return;
    }
    const n = e.key === "0" ? 10 : Number(e.key);
    if (/^[0-9]$/.test(e.key) && n >= 1 && n <= items().length) {
      e.preventDefault();
      setApp("screen", items()[n - 1].id);
    }
  };
  let nav!: HTMLElement;
  // The Stock item's "2 low" badge, read once on sign-in; screens refresh it.
  onMount(() => void loadLowCount());
  onMount(() => {
    window.addEventListener("keydown", onKey);
    // Screens focus their first field; a screen without one leaves focus on the menu.
    setTimeout(() => {
      if (document.activeElement === document.body) nav.querySelector<HTMLElement>("button.active, button")?.focus();
    }, 0);
  });
  onCleanup(() => window.removeEventListener("keydown", onKey));

  return (
    <div class="frame" data-testid="main-frame" attr:inert={app.session?.locked ? "" : undefined} aria-hidden={app.session?.locked ? "true" : undefined}>
      <header class="app-header">
        <span class="shop-name" data-testid="header-shop">
          {app.shopName ?? "Tillbook"}
        </span>
        <span class="spacer" />
        <span class="who" data-testid="header-user">
          {app.session?.display_name} <span class="role">{app.session?.role}</span>
        </span>
        <Show when={can("sales.sell")}>
          <button type="button" onClick={() => void switchUser()} data-testid="switch-user" title="Park the sale and let someone else sign in">
            Switch user
          </button>
        </Show>
        <button type="button" onClick={() => void guardLeave("lock")} data-testid="lock-button" title="Lock the till (Alt+L)">
          Lock
        </button>
        <button type="button" onClick={() => void guardLeave("logout")} data-testid="logout-button">
          Log out
        </button>
      </header>
      <nav class="side-nav" aria-label="Main" data-testid="nav" ref={nav}>
        <ul>
          <For each={items()}>
            {(item, i) => (
              <li>
                <button
                  type="button"
                  classList={{ active: current()?.id === item.id }}
                  aria-current={current()?.id === item.id ? "page" : undefined}
                  onClick={() => setApp("screen", item.id)}
                  data-testid={item.testid}
                  title={shortcut(i()) ? `Alt+${shortcut(i())}` : undefined}
                >
                  {item.label}
                  <Show when={item.badge?.()}>
                    {(b) => (
                      <span class="badge warn" data-testid={`${item.testid}-badge`}>
                        {b()}
                      </span>
                    )}
                  </Show>
                  <Show when={shortcut(i())}>
                    <kbd>{shortcut(i())}</kbd>
                  </Show>
                </button>
              </li>
            )}
          </For>
        </ul>
      </nav>
      <main class="screen" data-testid={`screen-${current()?.id ?? "none"}`}>
        {/* Keyed: a screen that failed does not keep the next one in its fallback. */}
        <Show when={current()} keyed>
          {(item) => (
            <AppErrorBoundary>
              <Dynamic component={item.screen} />
            </AppErrorBoundary>
          )}
        </Show>
      </main>
      <Show when={leaving()}>
        {(l) => (
          <Dialog title={`Shift #${l().shiftNumber} is still open`} testid="leave-dialog" onClose={() => setLeaving(null)}>
            <p data-testid="leave-text">
              {l().kind === "lock" ? "Lock the till" : "Log out"} with shift #{l().shiftNumber} still open? The drawer keeps its cash and
              the next person at this till sells into it. To count the cash and close it, go to Shift.
            </p>
            <div class="actions">
              <button type="button" onClick={() => setLeaving(null)} data-testid="leave-cancel">
                Stay
              </button>
              <button type="button" class="primary" onClick={() => void leaveNow(l().kind)} data-testid="leave-confirm" ref={(el) => queueMicrotask(() => el.focus())}>
                {l().kind === "lock" ? "Lock anyway" : "Log out anyway"}
              </button>
            </div>
          </Dialog>
        )}
      </Show>
      {/* Once for every screen: a manager approves a cashier's action where it happens (T39). */}
      <ApprovalDialog />
    </div>
  );
}
