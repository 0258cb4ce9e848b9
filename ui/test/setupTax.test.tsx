import { cleanup, fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { parsePercent, Setup, setupForm } from "../src/screens/Setup";
import { ratePercent, shopDate, shopMoney, startOfShopDay } from "../src/screens/TaxSummary";
import { classLabel } from "../src/screens/TaxRates";
import { app, applyShopLocale, resetAppForTests, setApp } from "../src/session";
import { fakeCore, SHOP } from "./fake";

const GB = {
  code: "GB", name: "United Kingdom", currency_code: "GBP", currency_scale: 2, prices_include_tax: true,
  tax_rates: [{ code: "standard", name: "Standard", rate_bp: 2000 }, { code: "reduced", name: "Reduced", rate_bp: 500 }],
  timezone: "Europe/London", locale: "en-GB",
};

afterEach(() => {
  cleanup();
  setupForm.reset();
  resetAppForTests();
});

describe("setup by country and the shop's formats", () => {
  it("reads percentages as basis points, refusing what is not a rate", () => {
    expect(parsePercent("19")).toBe(1900);
    expect(parsePercent("5,5")).toBe(550);
    expect(parsePercent("13.5 %")).toBe(1350);
    expect(parsePercent("101")).toBeNull();
    expect(parsePercent("abc")).toBeNull();
  });

  it("formats money and dates in the shop's locale and zone", () => {
    setApp("shop", { ...SHOP, currency_code: "GBP", locale: "en-GB", timezone: "Europe/London" });
    applyShopLocale(app.shop!);
    expect(shopMoney(490)).toBe("£4.90");
    expect(shopDate(Date.UTC(2026, 11, 4, 12))).toBe("04/12/2026");
    expect(classLabel({ name: "Standard", rate_bp: 2000 })).toBe("Standard — 20%");
    setApp("shop", { ...SHOP, currency_code: "EUR", locale: "de-DE", timezone: "Europe/Berlin" });
    applyShopLocale(app.shop!);
    expect(shopMoney(490).replace(/\s/g, " ")).toBe("4,90 €");
    expect(shopDate(Date.UTC(2026, 11, 4, 12))).toBe("04.12.2026");
    expect(ratePercent(700)).toMatch(/7\s?%/);
    // 5 December 00:00 in Berlin is 4 December 23:00 UTC.
    expect(startOfShopDay("2026-12-05")).toBe(Date.UTC(2026, 11, 4, 23));
    expect(startOfShopDay("5/12/2026")).toBeNull();
  });

  it("picking a country fills the form, and the request carries what the form shows", async () => {
    const { calls } = fakeCore({
      "setup.countries": () => ({ countries: [GB] }),
      "setup.create_owner": () => ({ id: 1 }),
      "auth.login": () => null,
    });
    render(() => <Setup />);
    await screen.findByRole("option", { name: "United Kingdom" });
    fireEvent.change(screen.getByTestId("setup-country"), { target: { value: "GB" } });
    await waitFor(() => expect((screen.getByTestId("setup-rate-name-0") as HTMLInputElement).value).toBe("Standard"));
    expect((screen.getByTestId("setup-currency-code") as HTMLInputElement).value).toBe("GBP");
    expect((screen.getByTestId("setup-prices-include-tax") as HTMLInputElement).checked).toBe(true);
    expect((screen.getByTestId("setup-locale") as HTMLInputElement).value).toBe("en-GB");
    const set = (id: string, value: string) => fireEvent.input(screen.getByTestId(id), { target: { value } });
    set("setup-rate-percent-1", "6");
    set("setup-shop-name", "Deli");
    set("setup-username", "ana");
    set("setup-display-name", "Ana");
    set("setup-password", "correct horse");
    set("setup-password-confirm", "correct horse");
    fireEvent.submit(screen.getByTestId("setup-form"));
    await waitFor(() => expect(calls.some((c) => c.cmd === "setup.create_owner")).toBe(true));
    const create = calls.find((c) => c.cmd === "setup.create_owner");
    expect(create?.args).toMatchObject({
      country_code: "GB", currency_code: "GBP", prices_include_tax: true, locale: "en-GB", timezone: "Europe/London",
      tax_rates: [{ code: "standard", name: "Standard", rate_bp: 2000 }, { code: "reduced", name: "Reduced", rate_bp: 600 }],
    });
  });
});
