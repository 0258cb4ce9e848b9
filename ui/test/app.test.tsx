import { fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { describe, expect, it } from "vitest";
import { App } from "../src/App";
import type { SessionView } from "../src/api";
import { boot, checkSession } from "../src/session";
import { CoreError, fakeCore, OWNER_SESSION, ROLES, SHOP } from "./fake";

const set = (id: string, value: string) => fireEvent.input(screen.getByTestId(id), { target: { value } });

/** A tiny stateful core: one shop, users with passwords and PINs, one session. */
function shopCore(opts: { setUp: boolean }) {
  let setUp = opts.setUp;
  let session: SessionView | null = null;
  const people: Record<string, { password: string; pin?: string; session: SessionView }> = {
    ana: { password: "correct horse", pin: "1234", session: { ...OWNER_SESSION } },
    bob: {
      password: "bob's secret",
      pin: "4321",
      session: { ...OWNER_SESSION, user_id: 2, username: "bob", display_name: "Bob", role: "cashier", permissions: [] },
    },
  };
  const signedIn = () => {
    if (!session) throw new CoreError("unauthenticated", "log in first");
    if (session.locked) throw new CoreError("locked", "the till is locked", { until_ms: null });
    return session;
  };
  const core = fakeCore({
    "setup.status": () => ({ needs_setup: !setUp, shop_name: setUp ? SHOP.name : null }),
    "setup.create_owner": () => {
      setUp = true;
      return { id: 1 };
    },
    "auth.login": (a) => {
      const p = people[String(a.username)];
      if (!p || p.password !== a.password) throw new CoreError("unauthenticated", "wrong username or password");
      session = { ...p.session, locked: false };
      return session;
    },
    "auth.whoami": () => {
      if (!session) throw new CoreError("unauthenticated", "log in first");
      return session;
    },
    "auth.lock": () => {
      if (session) session = { ...session, locked: true };
      return null;
    },
    "auth.unlock": (a) => {
      if (!session) throw new CoreError("unauthenticated", "log in first");
      const p = people[session.username];
      if (a.pin !== undefined ? a.pin !== p.pin : a.password !== p.password) {
        throw new CoreError("unauthenticated", "wrong PIN or password");
      }
      session = { ...session, locked: false };
      return session;
    },
    "auth.logout": () => {
      session = null;
      return null;
    },
    "users.roles": () => {
      const s = signedIn();
      if (s.role === "cashier") throw new CoreError("forbidden", "a cashier may not use users.roles");
      return ROLES;
    },
    "shop.info": () => (signedIn(), SHOP),
    "users.list": () => (signedIn(), []),
    "audit.list": () => (signedIn(), []),
  });
  return {
    ...core,
    idleLock() {
      if (session) session = { ...session, locked: true };
    },
  };
}

describe("the app", () => {
  it("first run: setup signs the new owner in with what she typed, then the frame", async () => {
    const core = shopCore({ setUp: false });
    render(() => <App />);
    await boot();
    await screen.findByTestId("setup-form");
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("setup-shop-name")));
    set("setup-shop-name", "Corner Shop");
    set("setup-username", "ana");
    set("setup-display-name", "Ana");
    set("setup-password", "correct horse");
    set("setup-password-confirm", "correct horse");
    set("setup-pin", "1234");
    fireEvent.submit(screen.getByTestId("setup-form"));

    // No login screen: she has just typed her password; a new shop starts at Home.
    await screen.findByTestId("main-frame");
    await screen.findByTestId("home");
    await screen.findByTestId("nav-settings");
    expect(core.calls.some((c) => c.cmd === "auth.login" && c.args.username === "ana")).toBe(true);
    expect(screen.getByTestId("header-user").textContent).toContain("Ana");
    expect(screen.getByTestId("nav-users")).toBeTruthy();
    expect(screen.getByTestId("nav-audit")).toBeTruthy();
    const create = core.calls.find((c) => c.cmd === "setup.create_owner");
    expect(create?.args).toMatchObject({ shop_name: "Corner Shop", username: "ana", pin: "1234", currency_code: "EUR" });
  });

  it("a login starts the day's loyalty expiry, and its failure stays out of the cashier's way", async () => {
    const core = shopCore({ setUp: true });
    render(() => <App />);
    await boot();
    await screen.findByTestId("login-form");
    set("login-username", "bob");
    set("login-password", "bob's secret");
    fireEvent.submit(screen.getByTestId("login-form"));
    await screen.findByTestId("main-frame");
    // This fake core has no loyalty.expire: the call fails, and no banner shows it.
    await waitFor(() => expect(core.calls.some((c) => c.cmd === "loyalty.expire")).toBe(true));
    expect(core.calls.filter((c) => c.cmd === "loyalty.expire")).toHaveLength(1);
    expect(screen.queryByTestId("error-banner")).toBeNull();
  });

  it("a wrong password is shown in the banner with its code, and the password field is emptied", async () => {
    shopCore({ setUp: true });
    render(() => <App />);
    await boot();
    await screen.findByTestId("login-form");
    set("login-username", "ana");
    set("login-password", "wrong one");
    fireEvent.submit(screen.getByTestId("login-form"));
    await screen.findByTestId("error-banner");
    expect(screen.getByTestId("error-code").textContent).toBe("unauthenticated");
    expect((screen.getByTestId("login-password") as HTMLInputElement).value).toBe("");
    expect((screen.getByTestId("login-username") as HTMLInputElement).value).toBe("ana");
  });

  it("a cashier sees no users, settings or audit items", async () => {
    shopCore({ setUp: true });
    render(() => <App />);
    await boot();
    await screen.findByTestId("login-form");
    set("login-username", "bob");
    set("login-password", "bob's secret");
    fireEvent.submit(screen.getByTestId("login-form"));
    await screen.findByTestId("main-frame");
    await screen.findByTestId("nav-home");
    expect(screen.queryByTestId("nav-users")).toBeNull();
    expect(screen.queryByTestId("nav-settings")).toBeNull();
    expect(screen.queryByTestId("nav-audit")).toBeNull();
    expect(screen.queryByTestId("error-banner")).toBeNull();
  });

  it("Lock, then unlock with the PIN; the idle lock found by polling shows the same screen", async () => {
    const core = shopCore({ setUp: true });
    render(() => <App />);
    await boot();
    await screen.findByTestId("login-form");
    set("login-username", "ana");
    set("login-password", "correct horse");
    fireEvent.submit(screen.getByTestId("login-form"));
    await screen.findByTestId("nav-users");

    fireEvent.click(screen.getByTestId("lock-button"));
    await screen.findByTestId("lock-screen");
    expect(screen.getByTestId("lock-user").textContent).toContain("Ana");
    expect(screen.getByTestId("main-frame").hasAttribute("inert")).toBe(true);
    set("unlock-pin", "9999");
    fireEvent.click(screen.getByTestId("unlock-submit"));
    expect((await screen.findByTestId("field-error-pin")).textContent).toContain("wrong PIN");
    set("unlock-pin", "1234");
    fireEvent.click(screen.getByTestId("unlock-submit"));
    await waitFor(() => expect(screen.queryByTestId("lock-screen")).toBeNull());

    // The core locks the idle session; the next whoami poll shows the lock screen.
    core.idleLock();
    await checkSession();
    await screen.findByTestId("lock-screen");
    fireEvent.click(screen.getByTestId("unlock-switch"));
    set("unlock-password", "correct horse");
    fireEvent.submit(screen.getByTestId("unlock-form"));
    await waitFor(() => expect(screen.queryByTestId("lock-screen")).toBeNull());

    // Log out from the lock screen.
    fireEvent.click(screen.getByTestId("lock-button"));
    await screen.findByTestId("lock-screen");
    fireEvent.click(screen.getByTestId("unlock-logout"));
    await screen.findByTestId("login-form");
  });

  it("a `locked` answer to any command shows the lock screen over the kept screen", async () => {
    const core = shopCore({ setUp: true });
    render(() => <App />);
    await boot();
    await screen.findByTestId("login-form");
    set("login-username", "ana");
    set("login-password", "correct horse");
    fireEvent.submit(screen.getByTestId("login-form"));
    await screen.findByTestId("nav-audit");
    core.idleLock();
    fireEvent.click(screen.getByTestId("nav-audit"));
    await screen.findByTestId("lock-screen");
    // The audit screen is still there underneath.
    expect(screen.getByTestId("audit-table")).toBeTruthy();
  });
});
