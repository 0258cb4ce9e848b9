import { fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { beforeEach, describe, expect, it } from "vitest";
import type { Dashboard } from "../src/generated/Dashboard";
import type { ChecklistItem } from "../src/generated/ChecklistItem";
import type { SessionView } from "../src/generated/SessionView";
import { amount, Home, hourBars, resetHomeForTests, weekdayOf } from "../src/screens/Home";
import { app, setApp } from "../src/session";
import { fakeCore, OWNER_SESSION, ROLES, SHOP } from "./fake";

const CASHIER_SESSION = { ...OWNER_SESSION, user_id: 3, username: "cal", display_name: "Cal", role: "cashier" as const, permissions: ROLES[2].permissions };

function signIn(session: SessionView = OWNER_SESSION) {
  setApp({ phase: "app", session: { ...session }, roles: ROLES, shop: SHOP, screen: "home" });
}

const steps = (done: Partial<Record<ChecklistItem["step"], boolean>> = {}): ChecklistItem[] =>
  (["tax_rates", "products", "stock", "staff", "printer", "backup"] as const).map((step) => ({
    step,
    done: done[step] ?? false,
    ticked: ["tax_rates", "printer", "backup"].includes(step) && (done[step] ?? false),
    tickable: ["tax_rates", "printer", "backup"].includes(step),
  }));

function hours(today: Record<number, number>, lastWeek: Record<number, number> = {}) {
  return Array.from({ length: 24 }, (_, hour) => ({ hour, today_minor: today[hour] ?? 0, last_week_minor: lastWeek[hour] ?? 0 }));
}

function dashboard(over: Partial<Dashboard> = {}): Dashboard {
  return {
    day: "2026-01-08",
    day_start_ms: 1767830400000,
    day_end_ms: 1767916800000,
    now_ms: 1767891600000,
    tz_offset_minutes: 0,
    sales_total_minor: 3250,
    sales_gross_minor: 4250,
    refunds_minor: 1000,
    refunds_count: 1,
    sales_count: 3,
    average_basket_minor: 1417,
    last_week_day: "2026-01-01",
    last_week_total_minor: 4500,
    hours: hours({ 9: 2250, 13: 2000, 16: -1000 }, { 10: 1000, 11: 3000, 14: 500 }),
    top_products: [
      { product_id: 11, sku: "OIL", name: "Olive oil", unit: "each", quantity_decimals: 0, quantity: 2, revenue_minor: 2000 },
      { product_id: 12, sku: "CHZ", name: "Cheddar", unit: "kg", quantity_decimals: 3, quantity: 1250, revenue_minor: 1250 },
    ],
    low_stock: {
      lines: [
        {
          product_id: 13, sku: "SAF", name: "Saffron", category: "Spices", quantity_decimals: 0, unit: "each", on_hand: 3, available: 3,
          reorder_point: 5, suggested_quantity: 7, preferred_vendor_id: null, preferred_vendor_name: null,
        },
      ],
      truncated: false,
    },
    open_shifts: [{ shift_id: 4, number: 7, user_id: 1, user_name: "Ana", opened_at_ms: 1767859200000, expected_cash_minor: 6000 }],
    invoices: {
      unpaid_count: 1, unpaid_minor: 3000, overdue_minor: 3000, overdue_count: 1, overdue_count_is_floor: false,
      oldest_overdue: { invoice_id: 2, number: 1, customer_id: 5, customer_name: "Deli Catering Ltd", due_on: "2026-01-05", days_past_due: 3, outstanding_minor: 3000 },
    },
    sync: { pending: 12, oldest_pending_at_ms: 1767225600000 },
    checklist: { items: steps({ products: true, stock: true }), complete: false, hidden: false },
    ...over,
  };
}

const EMPTY_DAY = dashboard({
  sales_total_minor: 0, sales_gross_minor: 0, refunds_minor: 0, refunds_count: 0, sales_count: 0, average_basket_minor: 0,
  last_week_total_minor: 0, hours: hours({}), top_products: [], low_stock: { lines: [], truncated: false }, open_shifts: [],
  invoices: { unpaid_count: 0, unpaid_minor: 0, overdue_minor: 0, overdue_count: 0, overdue_count_is_floor: false, oldest_overdue: null },
  sync: { pending: 0, oldest_pending_at_ms: null },
});

beforeEach(() => resetHomeForTests());

describe("the hour chart's geometry", () => {
  const BOX = { left: 0, top: 0, width: 240, height: 100 };
  it("scales both days' bars to the largest hour, from the bottom", () => {
    const bars = hourBars(hours({ 9: 2000, 13: 1000 }, { 9: 4000 }), BOX);
    expect(bars).toHaveLength(24);
    expect(bars[9].lastWeekHeight).toBe(100);
    expect(bars[9].todayHeight).toBe(50);
    expect(bars[13].todayHeight).toBe(25);
    expect(bars[9].todayY).toBe(50);
    expect(bars[0].todayHeight).toBe(0);
    // Hours side by side, today's bar then last week's, within the hour's band.
    expect(bars[1].x - bars[0].x).toBeCloseTo(10);
    expect(bars[0].x + 2 * bars[0].width).toBeLessThanOrEqual(10);
  });

  it("draws nothing for an hour of refunds and does not divide by zero on an empty day", () => {
    const bars = hourBars(hours({ 16: -1000 }), BOX);
    expect(bars.every((b) => b.todayHeight === 0 && Number.isFinite(b.todayY))).toBe(true);
  });
});

describe("Home", () => {
  it("shows the owner's day with the currency sign, the chart's bars, and links to each screen", async () => {
    signIn();
    const { calls } = fakeCore({
      "dashboard.today": () => dashboard(),
      "catalog.get_product": (a) => ({ id: a.id, sku: "SAF", name: "Saffron" }),
      "stock.batches": () => [],
      "stock.movements": () => ({ items: [], next_before_id: null }),
    });
    render(() => <Home />);
    await screen.findByTestId("home-sales-total");
    expect(calls[0]).toMatchObject({ cmd: "dashboard.today" });
    expect(typeof calls[0].args.tz_offset_minutes).toBe("number");
    expect(screen.getByTestId("home-sales-total").textContent).toBe("€32.50");
    expect(screen.getByTestId("home-sales-count").textContent).toBe("3");
    expect(screen.getByTestId("home-average-basket").textContent).toBe("€14.17");
    expect(screen.getByTestId("home-tile-total").textContent).toContain("€10.00 refunded");
    expect(screen.getByTestId("home-chart").textContent).toContain(`last ${weekdayOf("2026-01-01")}`);
    const bar9 = screen.getByTestId("home-bar-today-9");
    const bar13 = screen.getByTestId("home-bar-today-13");
    expect(Number(bar9.getAttribute("height"))).toBeGreaterThan(Number(bar13.getAttribute("height")));
    expect(Number(screen.getByTestId("home-bar-last-week-11").getAttribute("height"))).toBeCloseTo(150);
    expect(Number(screen.getByTestId("home-bar-today-16").getAttribute("height"))).toBe(0);
    expect(bar9.querySelector("title")?.textContent).toBe("09:00 today: €22.50");
    expect(screen.getByTestId("home-top-OIL").textContent).toBe("Olive oil");
    expect(screen.getByTestId("home-top-products").textContent).toContain("1.250 kg sold · €12.50");
    expect(screen.getByTestId("home-low-stock").textContent).toContain("3 left (reorder at 5)");
    expect(screen.getByTestId("home-shift-7").textContent).toContain("should hold €60.00");
    expect(screen.getByTestId("home-invoices-overdue").textContent).toBe("€30.00 overdue");
    expect(screen.getByTestId("home-invoices-oldest").textContent).toContain("Deli Catering Ltd, €30.00, 3 days late");
    expect(screen.getByTestId("home-sync-pending").textContent).toContain("12 changes are kept safe");
    expect(screen.queryByTestId("home-no-sales")).toBeNull();

    fireEvent.click(screen.getByTestId("home-link-shift"));
    expect(app.screen).toBe("shift");
    fireEvent.click(screen.getByTestId("home-link-invoices"));
    expect(app.screen).toBe("invoices");
    fireEvent.click(screen.getByTestId("home-tile-count"));
    expect(app.screen).toBe("orders");
    fireEvent.click(screen.getByTestId("home-low-SAF"));
    await waitFor(() => expect(app.screen).toBe("stock"));
    expect(calls.find((c) => c.cmd === "catalog.get_product")?.args).toEqual({ id: 13 });
  });

  it("says what to do on an empty day", async () => {
    signIn();
    fakeCore({ "dashboard.today": () => EMPTY_DAY });
    render(() => <Home />);
    const none = await screen.findByTestId("home-no-sales");
    expect(none.textContent).toBe("No sales yet today — open the Till to ring up the first.");
    expect(screen.getByTestId("home-sales-total").textContent).toBe("€0.00");
    expect(screen.getByTestId("home-chart-empty")).toBeTruthy();
    expect(screen.getByTestId("home-top-empty").textContent).toContain("after the first sale");
    expect(screen.getByTestId("home-low-empty").textContent).toContain("Set a reorder point");
    expect(screen.getByTestId("home-shifts-empty").textContent).toContain("Open a shift");
    expect(screen.getByTestId("home-invoices-empty")).toBeTruthy();
    fireEvent.click(screen.getByTestId("home-link-till"));
    expect(app.screen).toBe("till");
  });

  it("lists the getting-started steps with links, stores the owner's ticks, and hides once done", async () => {
    signIn();
    let checklist = { items: steps({ products: true, stock: true }), complete: false, hidden: false };
    const { calls } = fakeCore({
      "dashboard.today": () => dashboard({ checklist }),
      "dashboard.checklist_tick": (a) => {
        const step = a.step as ChecklistItem["step"] | "hidden";
        if (step === "hidden") {
          checklist = { ...checklist, hidden: a.done as boolean };
        } else {
          checklist = { ...checklist, items: checklist.items.map((i) => (i.step === step ? { ...i, done: a.done as boolean, ticked: a.done as boolean } : i)) };
        }
        return checklist;
      },
    });
    render(() => <Home />);
    const list = await screen.findByTestId("home-checklist");
    expect(list.textContent).toContain("4 of 6 steps left.");
    expect(screen.getByTestId("home-step-products").dataset.done).toBe("yes");
    expect(screen.getByTestId("home-step-staff").dataset.done).toBe("no");
    // Steps the data tells have no tick box; each links to the screen that does it.
    expect(screen.queryByTestId("home-tick-staff")).toBeNull();
    fireEvent.click(screen.getByTestId("home-step-go-staff"));
    expect(app.screen).toBe("users");
    expect(screen.queryByTestId("home-checklist-hide")).toBeNull();

    fireEvent.click(screen.getByTestId("home-tick-printer"));
    await waitFor(() => expect(screen.getByTestId("home-step-printer").dataset.done).toBe("yes"));
    expect(calls.find((c) => c.cmd === "dashboard.checklist_tick")?.args).toEqual({ step: "printer", done: true });
    expect(screen.getByTestId("home-step-printer").textContent).toContain("I'll set up a printer later");

    checklist = { items: steps({ tax_rates: true, products: true, stock: true, staff: true, printer: true, backup: true }), complete: true, hidden: false };
    fireEvent.click(screen.getByTestId("home-refresh"));
    await waitFor(() => expect(screen.getByTestId("home-checklist-left").textContent).toBe("Everything is set up."));
    fireEvent.click(screen.getByTestId("home-checklist-hide"));
    await waitFor(() => expect(screen.queryByTestId("home-checklist")).toBeNull());
    expect(calls.at(-1)).toMatchObject({ cmd: "dashboard.checklist_tick", args: { step: "hidden", done: true } });
  });

  it("gives a cashier their own till and what is running low, without the shop's takings or the checklist", async () => {
    signIn(CASHIER_SESSION);
    const { calls } = fakeCore({
      "shifts.current": () => null,
      "stock.low": () => dashboard().low_stock,
    });
    render(() => <Home />);
    const none = await screen.findByTestId("home-drawer-none");
    expect(none.textContent).toContain("No shift is open");
    expect(screen.getByTestId("home-low-SAF")).toBeTruthy();
    expect(calls.map((c) => c.cmd).sort()).toEqual(["shifts.current", "stock.low"]);
    expect(screen.queryByTestId("home-sales-total")).toBeNull();
    expect(screen.queryByTestId("home-checklist")).toBeNull();
  });

  it("has no developer words on screen", async () => {
    signIn();
    fakeCore({ "dashboard.today": () => dashboard() });
    render(() => <Home />);
    const home = await screen.findByTestId("home");
    await screen.findByTestId("home-sales-total");
    const text = home.textContent ?? "";
    for (const word of ["minor", "_ms", "version", "dashboard.", "null", "undefined", "NaN"]) {
      expect(text).not.toContain(word);
    }
  });

  it("formats negative amounts with the sign before the currency", () => {
    setApp({ shop: SHOP });
    expect(amount(-1000)).toBe("-€10.00");
    expect(amount(5)).toBe("€0.05");
  });
});

describe("Home when the read fails", () => {
  it("says so in its place with Refresh, not in the error banner", async () => {
    signIn();
    let fail = true;
    fakeCore({
      "dashboard.today": () => {
        if (fail) throw new Error("disk busy");
        return dashboard();
      },
    });
    render(() => <Home />);
    const msg = await screen.findByTestId("home-failed");
    expect(msg.textContent).toContain("Press Refresh to try again");
    expect(screen.queryByTestId("error-banner")).toBeNull();
    fail = false;
    fireEvent.click(screen.getByTestId("home-refresh"));
    await screen.findByTestId("home-sales-total");
    expect(screen.queryByTestId("home-failed")).toBeNull();
  });
});
