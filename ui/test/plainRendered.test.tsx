// The rendered text of the screens this issue rewrote, in jsdom: settings in
// minutes and the currency, the audit log in sentences — none of it saying
// "minor", "ms", "version" or a command name.
import { render, screen, waitFor } from "@solidjs/testing-library";
import { describe, expect, it } from "vitest";
import { auditFilters, Audit, setAudit } from "../src/screens/Audit";
import { settingsForm, SettingsScreen } from "../src/screens/Settings";
import { configureLocale } from "../src/locale";
import { setApp } from "../src/session";
import { fakeCore, OWNER_SESSION, ROLES, SHOP } from "./fake";
import { badWords } from "./plainScan";

const SETTINGS = {
  idle_lock_ms: 300000,
  max_failed_logins: 5,
  lockout_base_ms: 30000,
  lockout_max_ms: 3600000,
  credit_approval_threshold_minor: 100000,
  prices_include_tax: true,
  receipt_footer: "",
  reservation_ttl_ms: 1800000,
  invoice_terms_days: 30,
  scale_barcodes: [],
  card_reference: "optional",
  sell_card_without_shift: true,
  staff_pin_sign_in: false,
};

function signIn() {
  configureLocale({ locale: "en-GB", timeZone: "Europe/London" });
  setApp({ phase: "app", session: { ...OWNER_SESSION }, roles: ROLES, shop: { ...SHOP, currency_code: "GBP" } });
}

describe("rendered screens in plain words", () => {
  it("settings: minutes, seconds and pounds; no ms, minor units or version", async () => {
    signIn();
    settingsForm.reset();
    fakeCore({ "settings.get": () => ({ settings: SETTINGS, version: 7 }) });
    render(() => <SettingsScreen />);
    const idle = (await screen.findByTestId("settings-idle_lock_ms")) as HTMLInputElement;
    await waitFor(() => expect(idle.value).toBe("5"));
    const text = document.body.textContent ?? "";
    expect(text).toContain("(minutes)");
    expect(text).toContain("= 5 minutes");
    expect(text).toContain("= 30 seconds");
    expect(text).toContain("= 30 minutes");
    expect(text).toContain("£1,000.00");
    expect((screen.getByTestId("settings-credit_approval_threshold_minor") as HTMLInputElement).value).toBe("1000.00");
    expect(badWords(text)).toEqual([]);
  });

  it("audit: sentences by name, the raw summary only behind Details", async () => {
    signIn();
    auditFilters.reset();
    setAudit({ rows: [], loaded: false, users: [] });
    fakeCore({
      "users.list": () => [],
      "audit.list": () => [
        {
          id: 9,
          at_ms: Date.UTC(2026, 11, 4, 10, 0),
          user_id: 2,
          username: "ana",
          command: "sales.refund",
          entity: "refund",
          entity_id: "1",
          summary: { number: 1, order_number: 12, lines: 1, total_minor: 699 },
          result: "ok",
          error_code: null,
          approved_by: null,
          approved_by_username: null,
          user_display_name: "Ana",
          approved_by_display_name: null,
          record_name: null,
          items: [{ name: "Olive oil", quantity: 1, quantity_decimals: 0, unit: "each", total_minor: 699 }],
        },
      ],
    });
    render(() => <Audit />);
    const sentence = await screen.findByTestId("audit-sentence");
    expect(sentence.textContent).toBe("Ana refunded 1 × Olive oil (£6.99) on sale 12.");
    expect(screen.queryByTestId("audit-raw")).toBeNull();
    expect(badWords(document.body.textContent ?? "")).toEqual([]);
    screen.getByTestId("audit-raw-toggle").click();
    expect((await screen.findByTestId("audit-raw")).textContent).toContain("sales.refund");
  });
});
