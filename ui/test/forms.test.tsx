import { fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { beforeEach, describe, expect, it } from "vitest";
import { ErrorBanner } from "../src/components/ErrorBanner";
import { setupForm, Setup } from "../src/screens/Setup";
import { settingsForm, SettingsScreen } from "../src/screens/Settings";
import { createUserForm, Users } from "../src/screens/Users";
import { setApp } from "../src/session";
import { CoreError, fakeCore, OWNER_SESSION, ROLES } from "./fake";

const DEFAULTS = {
  idle_lock_ms: 300000,
  max_failed_logins: 5,
  lockout_base_ms: 30000,
  lockout_max_ms: 3600000,
  credit_approval_threshold_minor: 100000,
  prices_include_tax: false,
  receipt_footer: "",
};

function signInAsOwner() {
  setApp({ phase: "app", session: { ...OWNER_SESSION }, roles: ROLES });
}

describe("validation errors from the core", () => {
  beforeEach(() => {
    settingsForm.reset();
    setupForm.reset();
    createUserForm.reset();
  });

  it("shows a settings error beside the field it names, keeps the value, no banner", async () => {
    signInAsOwner();
    const { calls } = fakeCore({
      "settings.get": () => ({ settings: DEFAULTS, version: 3 }),
      "settings.update": (args) => {
        const s = (args as { settings: { idle_lock_ms: number } }).settings;
        if (s.idle_lock_ms < 30000) {
          throw new CoreError("validation", "idle_lock_ms: must be between 30000 and 86400000, got 3000", {
            field: "idle_lock_ms",
            kind: "out_of_range",
            min: 30000,
            max: 86400000,
          });
        }
        return { settings: s, version: 4 };
      },
    });
    render(() => (
      <>
        <ErrorBanner />
        <SettingsScreen />
      </>
    ));
    const idle = (await screen.findByTestId("settings-idle_lock_ms")) as HTMLInputElement;
    // Typed in minutes; sent in milliseconds.
    await waitFor(() => expect(idle.value).toBe("5"));
    fireEvent.input(idle, { target: { value: "0.05" } });
    fireEvent.submit(screen.getByTestId("settings-form"));

    const msg = await screen.findByTestId("field-error-idle_lock_ms");
    expect(msg.textContent).toBe("Enter an idle lock from 30 seconds to 1 day.");
    expect(idle.getAttribute("aria-invalid")).toBe("true");
    expect(idle.value).toBe("0.05");
    expect(screen.queryByTestId("error-banner")).toBeNull();
    const update = calls.find((c) => c.cmd === "settings.update");
    expect(update?.args).toMatchObject({ version: 3, settings: { idle_lock_ms: 3000 } });

    // Fixing the value clears the message and saves with the version read.
    fireEvent.input(idle, { target: { value: "1" } });
    expect(screen.queryByTestId("field-error-idle_lock_ms")).toBeNull();
    fireEvent.submit(screen.getByTestId("settings-form"));
    await screen.findByTestId("settings-saved");
    expect(screen.getByTestId("settings-version").getAttribute("data-version")).toBe("4");
    expect(calls.filter((c) => c.cmd === "settings.update").pop()?.args).toMatchObject({ settings: { idle_lock_ms: 60000 } });
  });

  it("maps a parse error's path (settings.key) to the field", async () => {
    signInAsOwner();
    fakeCore({
      "settings.get": () => ({ settings: DEFAULTS, version: 1 }),
      "settings.update": () => {
        throw new CoreError("validation", "invalid value", { field: "settings.lockout_max_ms" });
      },
    });
    render(() => <SettingsScreen />);
    await waitFor(() => expect(screen.getByTestId("settings-version").getAttribute("data-version")).toBe("1"));
    fireEvent.submit(screen.getByTestId("settings-form"));
    expect((await screen.findByTestId("field-error-lockout_max_ms")).textContent).toBe("invalid value");
  });

  it("sends a conflict to the banner with its code", async () => {
    signInAsOwner();
    fakeCore({
      "settings.get": () => ({ settings: DEFAULTS, version: 1 }),
      "settings.update": () => {
        throw new CoreError("conflict", "settings 1 was changed by someone else", {
          entity: "settings",
          id: "1",
          expected_version: 1,
        });
      },
    });
    render(() => (
      <>
        <ErrorBanner />
        <SettingsScreen />
      </>
    ));
    await waitFor(() => expect(screen.getByTestId("settings-version").getAttribute("data-version")).toBe("1"));
    fireEvent.submit(screen.getByTestId("settings-form"));
    await screen.findByTestId("error-banner");
    expect(screen.getByTestId("error-code").textContent).toBe("conflict");
  });

  it("shows and sends back a setting the screen has no label for", async () => {
    signInAsOwner();
    const { calls } = fakeCore({
      "settings.get": () => ({ settings: { ...DEFAULTS, night_close_ms: 1000 }, version: 1 }),
      "settings.update": (args) => ({ settings: (args as { settings: unknown }).settings, version: 2 }),
    });
    render(() => <SettingsScreen />);
    const extra = (await screen.findByTestId("settings-night_close_ms")) as HTMLInputElement;
    expect(extra.value).toBe("1"); // an unknown duration is typed in seconds
    fireEvent.submit(screen.getByTestId("settings-form"));
    await screen.findByTestId("settings-saved");
    expect(calls.find((c) => c.cmd === "settings.update")?.args).toMatchObject({
      version: 1,
      settings: { ...DEFAULTS, night_close_ms: 1000 },
    });
  });

  it("refuses a non-number locally without calling the core", async () => {
    signInAsOwner();
    const { calls } = fakeCore({ "settings.get": () => ({ settings: DEFAULTS, version: 1 }) });
    render(() => <SettingsScreen />);
    const field = (await screen.findByTestId("settings-max_failed_logins")) as HTMLInputElement;
    await waitFor(() => expect(field.value).toBe("5"));
    fireEvent.input(field, { target: { value: "" } });
    fireEvent.submit(screen.getByTestId("settings-form"));
    expect((await screen.findByTestId("field-error-max_failed_logins")).textContent).toMatch(/whole number/);
    expect(calls.some((c) => c.cmd === "settings.update")).toBe(false);
  });

  it("setup: a duplicate-free validation error names the field; differing passwords are caught first", async () => {
    const { calls: all } = fakeCore({
      "setup.countries": () => ({ countries: [] }),
      "setup.create_owner": () => {
        throw new CoreError("validation", "currency_code: must be a 3-letter ISO code in capitals, like EUR", {
          field: "currency_code",
        });
      },
    });
    render(() => <Setup />);
    // The country list the form reads first is not the point here.
    const calls = { get length() { return all.filter((c) => c.cmd !== "setup.countries").length; }, get 0() { return all.filter((c) => c.cmd !== "setup.countries")[0]; } };
    const set = (id: string, value: string) => fireEvent.input(screen.getByTestId(id), { target: { value } });
    set("setup-shop-name", "Corner Shop");
    set("setup-currency-code", "EU");
    set("setup-username", "ana");
    set("setup-display-name", "Ana");
    set("setup-password", "correct horse");
    set("setup-password-confirm", "correct hose");
    fireEvent.submit(screen.getByTestId("setup-form"));
    expect((await screen.findByTestId("field-error-password_confirm")).textContent).toMatch(/differ/);
    expect(calls).toHaveLength(0);

    set("setup-password-confirm", "correct horse");
    fireEvent.submit(screen.getByTestId("setup-form"));
    expect((await screen.findByTestId("field-error-currency_code")).textContent).toMatch(/ISO code/);
    expect(calls[0].cmd).toBe("setup.create_owner");
    expect(calls[0].args).toMatchObject({ currency_code: "EU", currency_scale: 2, pin: null });
    expect(String(calls[0].args.idempotency_key)).toMatch(/^[A-Za-z0-9_:.-]{8,128}$/);
    // Everything typed is still there.
    expect((screen.getByTestId("setup-shop-name") as HTMLInputElement).value).toBe("Corner Shop");
  });

  it("users: a duplicate username is shown beside the username; the retry reuses the idempotency key", async () => {
    signInAsOwner();
    const { calls } = fakeCore({
      "users.list": () => [],
      "users.create": () => {
        throw new CoreError("duplicate", 'username "bob" is already in use', { field: "username", value: "bob" });
      },
    });
    render(() => <Users />);
    fireEvent.click(await screen.findByTestId("users-create"));
    await screen.findByTestId("user-form");
    const set = (id: string, value: string) => fireEvent.input(screen.getByTestId(id), { target: { value } });
    set("user-username", "bob");
    set("user-display-name", "Bob");
    set("user-password", "bob's secret");
    fireEvent.submit(screen.getByTestId("user-form"));
    expect((await screen.findByTestId("field-error-username")).textContent).toContain("already in use");
    fireEvent.submit(screen.getByTestId("user-form"));
    await waitFor(() => expect(calls.filter((c) => c.cmd === "users.create")).toHaveLength(2));
    const [a, b] = calls.filter((c) => c.cmd === "users.create");
    expect(a.args.idempotency_key).toBe(b.args.idempotency_key);
    expect(a.args).toMatchObject({ username: "bob", role: "cashier", pin: null });
  });

  it("users: Esc closes the dialog and keeps the draft", async () => {
    signInAsOwner();
    fakeCore({ "users.list": () => [] });
    render(() => <Users />);
    fireEvent.click(await screen.findByTestId("users-create"));
    const dialog = await screen.findByTestId("user-create-dialog");
    fireEvent.input(screen.getByTestId("user-username"), { target: { value: "carla" } });
    fireEvent.keyDown(dialog, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("user-create-dialog")).toBeNull());
    fireEvent.click(screen.getByTestId("users-create"));
    expect(((await screen.findByTestId("user-username")) as HTMLInputElement).value).toBe("carla");
  });
});
