// Where the app is (first run, login, signed in) and who is at the till. The
// session itself lives in Rust; this is the UI's view of it, refreshed from
// `auth.whoami` and from the errors calls return.

import { createStore, reconcile } from "solid-js/store";
import { call, type CommandName, onCallError, type Permission, type RolePermissions, type SessionView, TillbookError } from "./api";
import type { ShopInfo } from "./generated/ShopInfo";
import { reportError } from "./errors";
import { configureLocale } from "./locale";

export type Phase = "starting" | "setup" | "login" | "app";

export interface AppState {
  phase: Phase;
  session: SessionView | null;
  shop: ShopInfo | null;
  shopName: string | null;
  /** The role × permission table from `users.roles` (null: not readable by this role). */
  roles: RolePermissions[] | null;
  /** The nav item shown in the main frame. */
  screen: string;
  /** A one-line notice on the login screen ("Shop created…", "Session ended…"). */
  notice: string | null;
  /** Prefills the login username (after setup, after logout). */
  lastUsername: string;
}

const initial = (): AppState => ({
  phase: "starting",
  session: null,
  shop: null,
  shopName: null,
  roles: null,
  screen: "home",
  notice: null,
  lastUsername: "",
});

const [app, setApp] = createStore<AppState>(initial());
export { app, setApp };

/** How often the UI asks whether the idle lock has fallen (whoami is not activity). */
export const SESSION_POLL_MS = 5000;

let pollTimer: ReturnType<typeof setInterval> | undefined;
const logoutHooks: (() => void)[] = [];

/** Screens register a reset of their per-user state, run when the user changes. */
export function onSignOut(hook: () => void): void {
  logoutHooks.push(hook);
}

/** The permissions of a role according to the table (the server stays the authority). */
export function permissionsOf(role: string | undefined, table: RolePermissions[] | null): Set<Permission> {
  const row = table?.find((r) => r.role === role);
  return new Set(row?.permissions ?? []);
}

export function can(permission: Permission): boolean {
  return permissionsOf(app.session?.role, app.roles).has(permission);
}

/** First screen: setup, login, or straight back into a live session (after a reload). */
export async function boot(): Promise<void> {
  try {
    const status = await call("setup.status");
    setApp("shopName", status.shop_name);
    if (status.needs_setup) {
      setApp("phase", "setup");
      return;
    }
    try {
      const s = await call("auth.whoami");
      await enterApp(s);
    } catch (e) {
      if (e instanceof TillbookError && e.code === "unauthenticated") {
        setApp("phase", "login");
      } else {
        throw e;
      }
    }
  } catch (e) {
    setApp("phase", "login");
    reportError(e);
  }
}

export function setupDone(username: string, shopName: string): void {
  setApp({ phase: "login", shopName, lastUsername: username, notice: `Shop created. Log in as ${username}.` });
}

export async function login(username: string, password: string): Promise<void> {
  const s = await call("auth.login", { username, password });
  // The core answers `null` only together with a refusal, which `call` throws.
  if (s === null) throw new TillbookError("internal", "auth.login answered without a session", { source: "ui" }, "auth.login");
  setApp({ notice: null, lastUsername: username });
  await enterApp(s);
  if (!s.locked) void dailyChores();
}

/** Staff sign-in by PIN on a shared till: the tapped tile's user and their PIN (`auth.pin_login`). */
export async function pinLogin(userId: number, pin: string): Promise<void> {
  const s = await call("auth.pin_login", { user_id: userId, pin });
  if (s === null) throw new TillbookError("internal", "auth.pin_login answered without a session", { source: "ui" }, "auth.pin_login");
  setApp({ notice: null, lastUsername: s.username });
  await enterApp(s);
  if (!s.locked) void dailyChores();
}

/**
 * Housekeeping the core does once a day, started by the first login of the day
 * (the command is idempotent per day and cheap when nothing is due). It runs
 * on a login, never on a timer: a background call would count as activity and
 * keep the till from idle-locking (T24). A failure must not get in the way of
 * selling, so it is logged, not shown.
 */
async function dailyChores(): Promise<void> {
  try {
    await call("loyalty.expire", {});
  } catch (e) {
    console.warn("loyalty expiry did not run", e);
  }
}

/** The session's own row of the role table: every role can see what it may do. */
function rolesOf(s: SessionView): RolePermissions[] {
  return [{ role: s.role, permissions: s.permissions }];
}

export async function enterApp(s: SessionView): Promise<void> {
  // Whoever may sell starts at the till (the first item of the navigation).
  setApp({ session: s, phase: "app", screen: s.permissions.includes("sales.sell") ? "till" : "home" });
  startPolling();
  if (s.locked) return;
  try {
    const shop = await call("shop.info");
    setApp({ roles: rolesOf(s), shop, shopName: shop.name });
    applyShopLocale(shop);
  } catch (e) {
    reportError(e);
  }
}

/** After unlocking: refresh what needed an unlocked session. */
async function afterUnlock(s: SessionView): Promise<void> {
  setApp("session", s);
  if (!app.shop || !app.roles) {
    try {
      const shop = await call("shop.info");
      setApp({ roles: rolesOf(s), shop, shopName: shop.name });
      applyShopLocale(shop);
    } catch (e) {
      reportError(e);
    }
  }
}

export async function lockNow(): Promise<void> {
  try {
    await call("auth.lock");
    if (app.session) setApp("session", "locked", true);
  } catch (e) {
    reportError(e);
  }
}

export async function unlock(secret: { pin: string } | { password: string }): Promise<void> {
  const s = await call("auth.unlock", secret);
  await afterUnlock(s);
}

export async function logout(): Promise<void> {
  try {
    await call("auth.logout");
  } catch (e) {
    // Already gone is fine; anything else is shown, but we still leave.
    if (!(e instanceof TillbookError && e.code === "unauthenticated")) reportError(e);
  }
  signedOut(null);
}

function signedOut(notice: string | null): void {
  stopPolling();
  for (const h of logoutHooks) {
    try {
      h();
    } catch {
      // a screen's reset must not keep others from resetting
    }
  }
  setApp({
    phase: "login",
    session: null,
    shop: null,
    roles: null,
    screen: "home",
    notice,
  });
}

export async function checkSession(): Promise<void> {
  if (app.phase !== "app" || !app.session || app.session.locked) return;
  try {
    const s = await call("auth.whoami");
    setApp("session", reconcile(s));
  } catch {
    // onCallError below turns `locked`/`unauthenticated` into the right screen.
  }
}

function startPolling(): void {
  stopPolling();
  pollTimer = setInterval(() => void checkSession(), SESSION_POLL_MS);
}

function stopPolling(): void {
  if (pollTimer !== undefined) clearInterval(pollTimer);
  pollTimer = undefined;
}

// Commands where `unauthenticated` means a wrong secret, not a lost session.
const SECRET_CHECKS = new Set<CommandName>(["auth.login", "auth.unlock", "auth.change_password", "auth.set_pin", "auth.logout"]);

onCallError((err, cmd) => {
  if (app.phase !== "app" || !app.session) return;
  if (err.code === "locked" && err.details["until_ms"] == null && cmd !== "auth.unlock") {
    // The idle lock fell: show the lock screen over the untouched screen.
    setApp("session", "locked", true);
  } else if (err.code === "unauthenticated" && !SECRET_CHECKS.has(cmd)) {
    signedOut("Your session ended (the user may have been archived). Log in again.");
  }
});

/** Tests: back to a fresh start. */
export function resetAppForTests(): void {
  stopPolling();
  for (const h of logoutHooks) h();
  setApp(reconcile(initial()));
}

/**
 * The one place the shop's locale and time zone reach the formatters
 * (locale.ts). Read by a loose type: `locale` (BCP-47, "en-GB") and `timezone`
 * (IANA, "Europe/London") are optional strings on the shop info; empty or
 * absent keeps the browser's own.
 */
export function applyShopLocale(shop: object | null | undefined): void {
  const loose = (shop ?? {}) as { locale?: unknown; timezone?: unknown };
  configureLocale({
    locale: typeof loose.locale === "string" ? loose.locale : undefined,
    timeZone: typeof loose.timezone === "string" ? loose.timezone : undefined,
  });
}
