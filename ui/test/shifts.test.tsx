import { fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ShiftView, ShiftZReport } from "../src/api";
import { ApprovalDialog } from "../src/components/Approval";
import { ErrorBanner } from "../src/components/ErrorBanner";
import { ZReport } from "../src/components/ZReport";
import { resetShiftsForTests, Shifts, shifts } from "../src/screens/Shifts";
import { setApp } from "../src/session";
import { CoreError, fakeCore, OWNER_SESSION, ROLES, SHOP, tick } from "./fake";

const CASHIER_SESSION = { ...OWNER_SESSION, user_id: 2, username: "cass", display_name: "Cass", role: "cashier" as const, permissions: ROLES[2].permissions };

function signIn(session: typeof OWNER_SESSION | typeof CASHIER_SESSION = OWNER_SESSION) {
  setApp({ phase: "app", session: { ...session }, roles: ROLES, shop: SHOP });
}

const OPEN: ShiftView = {
  id: 3, number: 12, user_id: 1, status: "open", opening_float_minor: 15000, float_entry_id: 40, opened_at_ms: 1_700_000_000_000,
  closed_at_ms: null, closed_by: null, expected_cash_minor: 15000, counted_cash_minor: null, over_short_minor: null,
  close_entry_id: null, version: 1,
};

/** A closed shift's report as the core would answer (figures hand-checked below). */
const Z: ShiftZReport = {
  shift: {
    ...OPEN, status: "closed", closed_at_ms: 1_700_000_360_000, closed_by: 1, expected_cash_minor: 16433,
    counted_cash_minor: 16333, over_short_minor: -100, close_entry_id: 44, version: 2,
  },
  sales_count: 3, sales_total_minor: 2734, sales_net_minor: 2278, sales_tax_minor: 456, sales_discount_minor: 50,
  sales_by_tender: [
    { tender: "card", count: 1, amount_minor: 200 },
    { tender: "cash", count: 3, amount_minor: 2534 },
  ],
  cash_tendered_minor: 4000, change_given_minor: 1466,
  refunds_count: 1, refunds_total_minor: 239, refunds_tax_minor: 40,
  refunds_by_tender: [{ tender: "cash", count: 1, amount_minor: 239 }],
  voids_count: 1, voids_total_minor: 862, voids_tax_minor: 144,
  voids_by_tender: [{ tender: "cash", count: 1, amount_minor: 862 }],
  net_sales_minor: 1633, net_tax_minor: 272,
  cash_in_count: 1, cash_in_minor: 1000, cash_out_count: 1, cash_out_minor: 1000,
  cash_sales_minor: 2534, cash_refunds_minor: 239, cash_voids_minor: 862, cash_on_account_minor: 0, cash_unreceipted_refunds_minor: 0,
  expected_cash_minor: 16433, counted_cash_minor: 16333, over_short_minor: -100, counted_by_denomination: [], tax_summary: { rows: [], net_minor: 0, tax_minor: 0, total_minor: 0 },
  no_sales_count: 0, no_sales: [],
};

const text = (id: string) => screen.getByTestId(id).textContent?.trim();

describe("Z-report", () => {
  it("shows every figure exactly as the core sent it", () => {
    signIn();
    render(() => <ZReport report={Z} testid="zr" />);
    expect(screen.getByTestId("zr").getAttribute("data-status")).toBe("closed");
    expect(text("zr-title")).toContain("Z-report");
    expect(text("zr-number")).toBe("12");
    expect(text("zr-sales-count")).toBe("3");
    expect(text("zr-sales-total")).toBe("27.34");
    expect(text("zr-sales-net")).toBe("22.78");
    expect(text("zr-sales-tax")).toBe("4.56");
    expect(text("zr-sales-discount")).toBe("0.50");
    expect(text("zr-sales-tender-card-amount")).toBe("2.00");
    expect(text("zr-sales-tender-card-count")).toBe("1");
    expect(text("zr-sales-tender-cash-amount")).toBe("25.34");
    expect(text("zr-cash-tendered")).toBe("40.00");
    expect(text("zr-change-given")).toBe("14.66");
    expect(text("zr-refunds-count")).toBe("1");
    expect(text("zr-refunds-total")).toBe("2.39");
    expect(text("zr-refunds-tax")).toBe("0.40");
    expect(text("zr-refunds-tender-cash-amount")).toBe("2.39");
    expect(text("zr-voids-count")).toBe("1");
    expect(text("zr-voids-total")).toBe("8.62");
    expect(text("zr-voids-tender-cash-amount")).toBe("8.62");
    expect(text("zr-net-sales")).toBe("16.33");
    expect(text("zr-net-tax")).toBe("2.72");
    expect(text("zr-float")).toBe("150.00");
    expect(text("zr-cash-sales")).toBe("25.34");
    expect(text("zr-cash-refunds")).toBe("2.39");
    expect(text("zr-cash-voids")).toBe("8.62");
    expect(text("zr-cash-in")).toBe("10.00");
    expect(text("zr-cash-out")).toBe("10.00");
    expect(text("zr-expected")).toBe("164.33");
    expect(text("zr-counted")).toBe("163.33");
    expect(text("zr-over-short")).toBe("-1.00");
    expect(text("zr-over-short-word")).toBe("Short");
    expect(screen.getByTestId("zr-over-short-row").getAttribute("data-sign")).toBe("-1");
    // No print button unless asked for.
    expect(screen.queryByTestId("zr-print")).toBeNull();
  });

  it("lists the drawer opened without a sale, with who and why, only when it was", () => {
    signIn();
    const { unmount } = render(() => <ZReport report={Z} testid="zr" />);
    expect(screen.queryByTestId("zr-no-sales")).toBeNull();
    unmount();
    const withNoSale = { ...Z, no_sales_count: 1, no_sales: [{ at_ms: 1_700_000_000_000, user_name: "Cass", reason: "change for a 20 note" }] };
    render(() => <ZReport report={withNoSale} testid="zr" />);
    const block = text("zr-no-sales") ?? "";
    expect(block).toContain("Drawer opened without a sale: 1 time");
    expect(block).toContain("Cass: change for a 20 note");
  });

  it("marks an overage with a plus and an open shift's report as running figures", () => {
    signIn();
    const over = { ...Z, counted_cash_minor: 16500, over_short_minor: 67 };
    const { unmount } = render(() => <ZReport report={over} testid="zr" />);
    expect(text("zr-over-short")).toBe("+0.67");
    expect(text("zr-over-short-word")).toBe("Over");
    unmount();
    render(() => <ZReport report={{ ...Z, shift: OPEN, counted_cash_minor: null, over_short_minor: null }} testid="xr" />);
    expect(text("xr-title")).toContain("X-report");
    // Blind: an open shift's report says nothing of what the drawer should hold.
    expect(screen.queryByTestId("xr-expected")).toBeNull();
    expect(screen.queryByTestId("xr-cash-sales")).toBeNull();
    expect(screen.getByTestId("xr-drawer-hidden")).toBeTruthy();
    expect(screen.queryByTestId("xr-over-short")).toBeNull();
  });
});

describe("Shift screen", () => {
  beforeEach(() => resetShiftsForTests());

  /** A fake core with one cashier drawer: open → sales → close. */
  function drawer(opts: { failFirstOpen?: boolean; slowClose?: boolean } = {}) {
    let current: ShiftView | null = null;
    let opens = 0;
    const running = (): ShiftZReport => ({ ...Z, shift: current!, counted_cash_minor: null, over_short_minor: null, expected_cash_minor: 16433 });
    const core = fakeCore({
      "shifts.current": () => current,
      "shifts.open": (a) => {
        opens++;
        if (opts.failFirstOpen && opens === 1) throw new CoreError("busy", "database is busy");
        current = { ...OPEN, opening_float_minor: a.opening_float_minor as number };
        return current;
      },
      "shifts.z_report": (a) => (current && a.shift_id === current.id ? running() : Z),
      // The core filters by shift; a second page ends the list.
      "sales.list": (a) =>
        a.before_id === undefined
          ? {
              orders: [
                { id: 9, number: 9, receipt_number: 109, status: "confirmed", customer_id: null, cashier_id: 1, line_count: 3, total_minor: 862, created_at_ms: OPEN.opened_at_ms + 1000 },
              ],
              next_before_id: 9,
            }
          : {
              orders: [
                { id: 6, number: 6, receipt_number: 106, status: "voided", customer_id: null, cashier_id: 1, line_count: 1, total_minor: 100, created_at_ms: OPEN.opened_at_ms + 10 },
              ],
              next_before_id: null,
            },
      "shifts.cash_move": (a) => ({
        id: 1, shift_id: 3, direction: a.direction, amount_minor: a.amount_minor, reason: a.reason, entry_id: 50, user_id: 1,
        created_at_ms: 0, expected_cash_minor: 16000,
      }),
      "sales.void": (a) => ({
        id: 1, order_id: a.order_id, order_number: 9, shift_id: 3, reason: a.reason, total_minor: 862, cash_minor: 862,
        entry_id: 51, user_id: 1, created_at_ms: 0, batches: [],
      }),
      "shifts.close": async (a) => {
        if (opts.slowClose) await tick(30);
        current = null;
        return { ...Z, counted_cash_minor: a.counted_cash_minor as number };
      },
      "shifts.list": () => ({ shifts: current ? [current] : [Z.shift], next_before_id: null }),
    });
    return core;
  }

  it("opens with the counted float, shows the running figures and the shift's sales, closes with the count and shows the Z-report", async () => {
    signIn();
    const { calls } = drawer();
    render(() => (
      <>
        <ErrorBanner />
        <Shifts />
      </>
    ));
    fireEvent.input(await screen.findByTestId("shift-open-float"), { target: { value: "150.00" } });
    fireEvent.submit(screen.getByTestId("shift-open-form"));
    await screen.findByTestId("xr");
    expect(calls.find((c) => c.cmd === "shifts.open")?.args).toMatchObject({ opening_float_minor: 15000 });
    expect(screen.queryByTestId("xr-expected")).toBeNull();
    // The shift's orders, asked of the core by shift id, every page; a voided one can't be voided again.
    await screen.findByTestId("shift-order-9");
    await screen.findByTestId("shift-order-6");
    const lists = calls.filter((c) => c.cmd === "sales.list");
    expect(lists).toHaveLength(2);
    expect(lists[0].args).toMatchObject({ shift_id: OPEN.id });
    expect(screen.getByTestId("shift-order-6").getAttribute("data-voided")).toBe("true");
    expect(screen.queryByTestId("shift-void-6")).toBeNull();
    expect(screen.getByTestId("shift-void-9")).toBeTruthy();

    // Cash out to the safe.
    fireEvent.change(screen.getByTestId("cash-move-direction"), { target: { value: "out" } });
    fireEvent.input(screen.getByTestId("cash-move-amount"), { target: { value: "10" } });
    fireEvent.input(screen.getByTestId("cash-move-reason"), { target: { value: "to the safe" } });
    fireEvent.submit(screen.getByTestId("cash-move-form"));
    await waitFor(() => expect(text("shift-notice")).toContain("Cash out 10.00 recorded"));
    expect(text("shift-notice")).not.toContain("160.00");
    expect(calls.find((c) => c.cmd === "shifts.cash_move")?.args).toMatchObject({ direction: "out", amount_minor: 1000, reason: "to the safe" });

    // Close with the counted cash as one amount, confirmed.
    fireEvent.click(screen.getByTestId("shift-close-by-amount"));
    fireEvent.input(screen.getByTestId("shift-close-counted"), { target: { value: "163.33" } });
    fireEvent.submit(screen.getByTestId("shift-close-form"));
    expect(text("shift-close-confirm-text")).toContain("163.33");
    expect(calls.filter((c) => c.cmd === "shifts.close")).toHaveLength(0);
    fireEvent.click(screen.getByTestId("shift-close-confirm"));
    await screen.findByTestId("zr");
    expect(calls.find((c) => c.cmd === "shifts.close")?.args).toEqual({ shift_id: 3, version: 1, counted_cash_minor: 16333, counts: null });
    expect(text("zr-title")).toContain("Z-report");
    expect(text("zr-sales-tender-cash-amount")).toBe("25.34");
    expect(text("zr-expected")).toBe("164.33");
    expect(text("zr-over-short")).toBe("-1.00");
    expect(shifts.current).toBeNull();
    // Back to "Open a shift"; printing goes through window.print.
    screen.getByTestId("shift-open-form");
    const print = vi.spyOn(window, "print").mockImplementation(() => {});
    fireEvent.click(screen.getByTestId("zr-print"));
    expect(print).toHaveBeenCalledTimes(1);
    expect(screen.queryByTestId("error-banner")).toBeNull();
  });

  it("counts the close by note and coin with a running total, confirms, and sends the count", async () => {
    signIn();
    const { calls } = drawer();
    render(() => <Shifts />);
    fireEvent.input(await screen.findByTestId("shift-open-float"), { target: { value: "150" } });
    fireEvent.submit(screen.getByTestId("shift-open-form"));
    await screen.findByTestId("shift-close-denominations");
    fireEvent.input(screen.getByTestId("count-denom-5000"), { target: { value: "3" } });
    fireEvent.input(screen.getByTestId("count-denom-200"), { target: { value: "6" } });
    fireEvent.input(screen.getByTestId("count-denom-1"), { target: { value: "3" } });
    expect(text("count-denom-5000-total")).toBe("150.00");
    expect(text("shift-close-total")).toBe("162.03");
    fireEvent.input(screen.getByTestId("count-denom-10"), { target: { value: "x" } });
    fireEvent.submit(screen.getByTestId("shift-close-form"));
    expect(text("field-error-counted")).toContain("0.10");
    fireEvent.input(screen.getByTestId("count-denom-10"), { target: { value: "" } });
    fireEvent.submit(screen.getByTestId("shift-close-form"));
    expect(text("shift-close-confirm-text")).toContain("162.03");
    fireEvent.click(screen.getByTestId("shift-close-confirm"));
    await screen.findByTestId("zr");
    expect(calls.find((c) => c.cmd === "shifts.close")?.args).toEqual({
      shift_id: 3, version: 1, counted_cash_minor: 16203,
      counts: [{ denomination_minor: 5000, quantity: 3 }, { denomination_minor: 200, quantity: 6 }, { denomination_minor: 1, quantity: 3 }],
    });
  });

  it("reuses the open's idempotency key on a retry and sends one open for a double click", async () => {
    signIn();
    const { calls } = drawer({ failFirstOpen: true });
    render(() => (
      <>
        <ErrorBanner />
        <Shifts />
      </>
    ));
    fireEvent.input(await screen.findByTestId("shift-open-float"), { target: { value: "50" } });
    fireEvent.submit(screen.getByTestId("shift-open-form"));
    await screen.findByTestId("error-banner");
    expect(screen.getByTestId("error-code").textContent).toBe("busy");
    expect((screen.getByTestId("shift-open-float") as HTMLInputElement).value).toBe("50"); // kept
    // Retry, double-clicked: one more call, same key.
    fireEvent.click(screen.getByTestId("shift-open"));
    fireEvent.click(screen.getByTestId("shift-open"));
    await screen.findByTestId("xr");
    const opens = calls.filter((c) => c.cmd === "shifts.open");
    expect(opens).toHaveLength(2);
    expect(opens[0].args.idempotency_key).toBe(opens[1].args.idempotency_key);
    expect(String(opens[0].args.idempotency_key)).toMatch(/^ui-/);
    expect(opens[1].args.opening_float_minor).toBe(5000);
  });

  it("sends one close for a double click (the button disables in flight) and the next open gets a new key", async () => {
    signIn();
    const { calls } = drawer({ slowClose: true });
    render(() => <Shifts />);
    fireEvent.input(await screen.findByTestId("shift-open-float"), { target: { value: "150" } });
    fireEvent.submit(screen.getByTestId("shift-open-form"));
    await screen.findByTestId("shift-close-form");
    fireEvent.click(screen.getByTestId("shift-close-by-amount"));
    fireEvent.input(screen.getByTestId("shift-close-counted"), { target: { value: "164.33" } });
    fireEvent.click(screen.getByTestId("shift-close"));
    fireEvent.click(screen.getByTestId("shift-close-confirm"));
    await waitFor(() => expect((screen.getByTestId("shift-close-confirm") as HTMLButtonElement).disabled).toBe(true));
    fireEvent.click(screen.getByTestId("shift-close-confirm"));
    await screen.findByTestId("zr");
    expect(calls.filter((c) => c.cmd === "shifts.close")).toHaveLength(1);

    fireEvent.input(await screen.findByTestId("shift-open-float"), { target: { value: "150" } });
    fireEvent.submit(screen.getByTestId("shift-open-form"));
    await screen.findByTestId("xr");
    const opens = calls.filter((c) => c.cmd === "shifts.open");
    expect(opens).toHaveLength(2);
    expect(opens[0].args.idempotency_key).not.toBe(opens[1].args.idempotency_key);
  });

  it("shows a close whose answer was lost (conflict: already closed) as the stored Z-report", async () => {
    signIn();
    const { calls } = fakeCore({
      "shifts.current": () => OPEN,
      "shifts.z_report": () => (calls.some((c) => c.cmd === "shifts.close") ? Z : { ...Z, shift: OPEN }),
      "sales.list": () => ({ orders: [], next_before_id: null }),
      "shifts.list": () => ({ shifts: [], next_before_id: null }),
      "shifts.close": () => {
        throw new CoreError("conflict", "the shift is already closed");
      },
    });
    render(() => <Shifts />);
    fireEvent.click(await screen.findByTestId("shift-close-by-amount"));
    fireEvent.input(await screen.findByTestId("shift-close-counted"), { target: { value: "163.33" } });
    fireEvent.submit(screen.getByTestId("shift-close-form"));
    fireEvent.click(screen.getByTestId("shift-close-confirm"));
    await waitFor(() => expect(screen.getByTestId("zr").getAttribute("data-status")).toBe("closed"));
    expect(text("shift-notice")).toContain("already closed");
  });

  it("voids a sale with a reason (sales.void), one key per order; a cashier sees Void (a manager approves it)", async () => {
    signIn();
    const { calls } = drawer();
    const view = render(() => (
      <>
        <ErrorBanner />
        <Shifts />
      </>
    ));
    fireEvent.input(await screen.findByTestId("shift-open-float"), { target: { value: "150" } });
    fireEvent.submit(screen.getByTestId("shift-open-form"));
    fireEvent.click(await screen.findByTestId("shift-void-9"));
    await screen.findByTestId("void-dialog");
    fireEvent.submit(screen.getByTestId("void-form"));
    expect((await screen.findByTestId("field-error-reason")).textContent).toContain("reason");
    expect(calls.filter((c) => c.cmd === "sales.void")).toHaveLength(0);
    fireEvent.input(screen.getByTestId("void-reason"), { target: { value: "rang up the wrong item" } });
    fireEvent.submit(screen.getByTestId("void-form"));
    await waitFor(() => expect(screen.queryByTestId("void-dialog")).toBeNull());
    expect(calls.find((c) => c.cmd === "sales.void")?.args).toMatchObject({ order_id: 9, reason: "rang up the wrong item" });
    expect(screen.getByTestId("shift-order-9").getAttribute("data-voided")).toBe("true");
    expect(screen.queryByTestId("shift-void-9")).toBeNull();
    expect(text("shift-notice")).toContain("voided");
    view.unmount();

    // A cashier: Void is there (a manager approves it on the spot, T39), no past shifts (ledger.read).
    resetShiftsForTests();
    signIn(CASHIER_SESSION);
    const cashierCalls = fakeCore({
      "shifts.current": () => ({ ...OPEN, user_id: 2 }),
      "shifts.z_report": () => ({ ...Z, shift: { ...OPEN, user_id: 2 } }),
      "sales.list": () => ({
        orders: [{ id: 8, number: 8, receipt_number: 108, status: "confirmed", customer_id: null, cashier_id: 2, line_count: 1, total_minor: 100, created_at_ms: OPEN.opened_at_ms + 500 }],
        next_before_id: null,
      }),
      "sales.void": (a) => {
        if (!a.approval) throw new CoreError("forbidden", "your role may not void a sale", { needs: ["sales.void"], approvable: true });
        return { order_id: 8, order_number: 8, total_minor: 100 };
      },
    }).calls;
    render(() => (
      <>
        <Shifts />
        <ApprovalDialog />
      </>
    ));
    await screen.findByTestId("shift-order-8");
    expect(screen.queryByTestId("shift-list")).toBeNull();
    expect(cashierCalls.some((c) => c.cmd === "shifts.list")).toBe(false);
    fireEvent.click(screen.getByTestId("shift-void-8"));
    fireEvent.input(await screen.findByTestId("void-reason"), { target: { value: "customer changed their mind" } });
    fireEvent.submit(screen.getByTestId("void-form"));
    expect((await screen.findByTestId("approval-reason")).textContent).toContain("void a sale");
    fireEvent.input(screen.getByTestId("approval-username"), { target: { value: "mara" } });
    fireEvent.input(screen.getByTestId("approval-secret"), { target: { value: "1357" } });
    fireEvent.submit(screen.getByTestId("approval-form"));
    await waitFor(() => expect(screen.queryByTestId("void-dialog")).toBeNull());
    const voids = cashierCalls.filter((c) => c.cmd === "sales.void");
    expect(voids).toHaveLength(2);
    expect(voids[1].args).toMatchObject({ order_id: 8, approval: { username: "mara", pin: "1357" } });
    expect(voids[0].args.idempotency_key).toBe(voids[1].args.idempotency_key);
  });

  it("lets a manager/owner open any past shift's Z-report", async () => {
    signIn();
    fakeCore({
      "shifts.current": () => null,
      "shifts.list": () => ({ shifts: [Z.shift], next_before_id: null }),
      "shifts.z_report": () => Z,
      "users.list": () => [{ id: 1, username: "ana", display_name: "Ana", role: "owner", has_pin: false, archived: false, locked_until_ms: null, version: 1, created_at_ms: 0 }],
    });
    render(() => <Shifts />);
    await waitFor(() => expect(screen.getByTestId("shift-row-3").textContent).toContain("Ana"));
    expect(screen.getByTestId("shift-row-3").getAttribute("data-status")).toBe("closed");
    fireEvent.click(await screen.findByTestId("shift-report-3"));
    await screen.findByTestId("zr");
    expect(text("zr-over-short")).toBe("-1.00");
    fireEvent.click(screen.getByTestId("zreport-done"));
    await waitFor(() => expect(screen.queryByTestId("zr")).toBeNull());
  });
});
