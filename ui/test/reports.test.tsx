import { fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { beforeEach, describe, expect, it } from "vitest";
import type { SalesReport, SalesReportRow, StockValuation } from "../src/api";
import { BarChart, barGeometry } from "../src/components/BarChart";
import { ErrorBanner } from "../src/components/ErrorBanner";
import { dayStartMs, reportArgs, reportForm, Reports, resetReportsForTests, shopTzOffsetMinutes, unitsCell } from "../src/screens/Reports";
import { setApp } from "../src/session";
import { CoreError, fakeCore, OWNER_SESSION, ROLES, SHOP } from "./fake";

function signIn() {
  setApp({ phase: "app", session: { ...OWNER_SESSION }, roles: ROLES, shop: SHOP });
}

const PLOT = { left: 10, top: 20, width: 300, height: 200 };

describe("BarChart geometry", () => {
  it("makes bar heights proportional to the values, from the zero line", () => {
    const g = barGeometry([100, 50, 25], PLOT);
    expect(g.bars.map((b) => b.height)).toEqual([200, 100, 50]);
    expect(g.zeroY).toBe(220); // all positive: the zero line is the bottom
    expect(g.bars.map((b) => b.y)).toEqual([20, 120, 170]);
    // Equal bands, bars centred in them, none overlapping.
    expect(g.bars[1].x - g.bars[0].x).toBeCloseTo(100);
    expect(g.bars[0].x + g.bars[0].width).toBeLessThan(g.bars[1].x);
  });

  it("draws a zero value as an empty bar on the zero line and all-zero data without dividing by zero", () => {
    const g = barGeometry([0, 40], PLOT);
    expect(g.bars[0]).toMatchObject({ height: 0, y: 220 });
    expect(g.bars[1].height).toBe(200);
    const z = barGeometry([0, 0], PLOT);
    expect(z.bars.every((b) => b.height === 0 && Number.isFinite(b.y))).toBe(true);
  });

  it("hangs negative values below the zero line, on the same scale", () => {
    const g = barGeometry([300, -100], PLOT);
    // The range is 400 → 0.5 px per unit; zero sits 300 units below the top.
    expect(g.zeroY).toBe(170);
    expect(g.bars[0]).toMatchObject({ y: 20, height: 150 });
    expect(g.bars[1]).toMatchObject({ y: 170, height: 50 });
    const neg = barGeometry([-10, -20], PLOT);
    expect(neg.zeroY).toBe(20); // only negatives: the zero line is the top
    expect(neg.bars.map((b) => b.height)).toEqual([100, 200]);
  });

  it("renders labelled bars with <title> tooltips, a titled accessible SVG and axis labels; an empty message without data", () => {
    const { unmount } = render(() => (
      <BarChart
        title="Total by day"
        xLabel="Day"
        yLabel="Total (EUR)"
        data={[
          { label: "2026-01-01", value: 200 },
          { label: "2026-01-02", value: 100 },
          { label: "2026-01-03", value: 0 },
        ]}
        format={(v) => (v / 100).toFixed(2)}
        height={260}
      />
    ));
    const svg = screen.getByTestId("bar-chart-svg");
    expect(svg.getAttribute("role")).toBe("img");
    const titleId = svg.getAttribute("aria-labelledby")!.split(" ")[0];
    expect(document.getElementById(titleId)?.textContent).toBe("Total by day");
    const h = [0, 1, 2].map((i) => Number(screen.getByTestId(`bar-chart-bar-${i}`).getAttribute("height")));
    expect(h[0]).toBeGreaterThan(0);
    expect(h[0] / h[1]).toBeCloseTo(2);
    expect(h[2]).toBe(0);
    expect(screen.getByTestId("bar-chart-bar-0").querySelector("title")?.textContent).toBe("2026-01-01: 2.00");
    expect(screen.getByTestId("bar-chart-x-label").textContent).toBe("Day");
    expect(screen.getByTestId("bar-chart-y-label").textContent).toBe("Total (EUR)");
    expect(screen.getAllByTestId("bar-chart-tick").map((t) => t.textContent)).toEqual(["2.00", "0.00"]);
    unmount();

    render(() => <BarChart title="Margin by day" xLabel="Day" yLabel="Margin" data={[]} />);
    expect(screen.getByTestId("bar-chart-empty").textContent).toContain("no data");
    expect(screen.queryByTestId("bar-chart-svg")).toBeNull();
  });

  it("colours negative bars and keeps their value", () => {
    render(() => <BarChart title="Margin" xLabel="Product" yLabel="Margin" data={[{ label: "A", value: 50 }, { label: "B", value: -50 }]} />);
    const b = screen.getByTestId("bar-chart-bar-1");
    expect(b.getAttribute("class")).toContain("negative");
    expect(b.getAttribute("data-value")).toBe("-50");
    expect(Number(b.getAttribute("height"))).toBeCloseTo(Number(screen.getByTestId("bar-chart-bar-0").getAttribute("height")));
  });
});

function row(key: string, label: string, total: number, margin: number | null, over: Partial<SalesReportRow> = {}): SalesReportRow {
  return {
    key, label, bucket_start_ms: null, id: null, orders: 2, units: margin === null ? null : 3, discount_minor: margin === null ? null : 0,
    net_minor: margin === null ? null : total - 20, tax_minor: margin === null ? null : 20, total_minor: total, cost_minor: margin === null ? null : 10,
    margin_minor: margin, refunds: 0, refunded_units: null, refund_net_minor: null, refund_tax_minor: null, refund_total_minor: 0,
    refund_cost_minor: null, net_after_refunds_minor: margin === null ? null : total - 20, margin_after_refunds_minor: margin,
    unit: null, quantity_decimals: null, ...over,
  };
}

function salesReport(args: Record<string, unknown>): SalesReport {
  const g = args.group_by as SalesReport["group_by"];
  const rows =
    g === "tender"
      ? [row("card", "card", 200, null), row("cash", "cash", 2534, null)]
      : [row("2026-01-01", "2026-01-01", 1200, 500), row("2026-01-02", "2026-01-02", 600, -30, { refund_total_minor: 239, refunds: 1 })];
  return {
    from_ms: args.from_ms as number, to_ms: args.to_ms as number, group_by: g, tz_offset_minutes: args.tz_offset_minutes as number,
    rows, totals: row("total", "total", 1800, 470, { refund_total_minor: 239, refunds: 1 }), truncated: false,
  };
}

function valuation(args: Record<string, unknown>): StockValuation {
  const after = (args.after_product_id as number | undefined) ?? 0;
  const rows = after === 0
    ? [{ product_id: 1, sku: "MILK-1L", name: "Milk 1 l", archived: false, batches: 1, on_hand: 10, value_minor: 640, quantity_decimals: 0, unit: "each" as const }]
    : [{ product_id: 2, sku: "BREAD", name: "Bread", archived: true, batches: 2, on_hand: 4, value_minor: 500, quantity_decimals: 0, unit: "each" as const }];
  return { rows, next_after_product_id: after === 0 ? 1 : null, total_products: 2, total_on_hand: 14, total_value_minor: 1140 };
}

describe("Reports screen", () => {
  beforeEach(() => resetReportsForTests());

  it("asks for the local days with the browser's offset, lists the groups with totals and charts total or margin", async () => {
    signIn();
    const { calls } = fakeCore({ "reports.sales": salesReport, "reports.stock_valuation": valuation });
    render(() => <Reports />);
    await screen.findByTestId("report-table");
    await waitFor(() => expect(reportForm.busy()).toBe(false));
    reportForm.setValues({ from: "2026-01-01", to: "2026-01-02" });
    fireEvent.submit(screen.getByTestId("report-form"));
    await waitFor(() => expect(calls.filter((c) => c.cmd === "reports.sales")).toHaveLength(2));
    const args = calls.filter((c) => c.cmd === "reports.sales")[1].args;
    expect(args).toEqual({
      from_ms: new Date(2026, 0, 1).getTime(),
      to_ms: new Date(2026, 0, 3).getTime(), // the end day is included: [from, to + 1 day)
      group_by: "day",
      tz_offset_minutes: -new Date().getTimezoneOffset() || 0,
    });
    await waitFor(() => expect(screen.getByTestId("report-row-2026-01-02-total").textContent).toBe("6.00"));
    expect(screen.getByTestId("report-row-2026-01-02-refunds").textContent).toBe("2.39");
    expect(screen.getByTestId("report-totals-total").textContent).toBe("18.00");
    expect(screen.getByTestId("report-totals-margin").textContent).toBe("4.70");
    expect(screen.getByTestId("report-chart-bar-0").getAttribute("data-value")).toBe("1200");

    // Margin: one bar below the line.
    fireEvent.change(screen.getByTestId("report-metric"), { target: { value: "margin" } });
    await waitFor(() => expect(screen.getByTestId("report-chart-bar-1").getAttribute("data-value")).toBe("-30"));
    expect(screen.getByTestId("report-chart-title").textContent).toBe("Margin by day");

    // By tender: no margin (null), so no margin chart; labels read as words.
    await waitFor(() => expect(reportForm.busy()).toBe(false));
    fireEvent.change(screen.getByTestId("report-group_by"), { target: { value: "tender" } });
    fireEvent.submit(screen.getByTestId("report-form"));
    await waitFor(() => expect(calls.filter((c) => c.cmd === "reports.sales").map((c) => c.args.group_by)).toEqual(["day", "day", "tender"]));
    await screen.findByTestId("report-chart-none");
    expect(screen.getByTestId("report-row-cash").textContent).toContain("Cash");
    expect(screen.getByTestId("report-row-cash-margin").textContent).toBe("—");
    fireEvent.change(screen.getByTestId("report-metric"), { target: { value: "total" } });
    await waitFor(() => expect(screen.getByTestId("report-chart-bar-1").getAttribute("data-label")).toBe("Cash"));
  });

  it("refuses an end date before the start beside the field; shows the core's range error beside its field", async () => {
    signIn();
    let refuse = false;
    const { calls } = fakeCore({
      "reports.sales": (a) => {
        if (refuse) throw new CoreError("validation", "to_ms: at most 400 days after from_ms", { field: "to_ms" });
        return salesReport(a);
      },
      "reports.stock_valuation": valuation,
    });
    render(() => (
      <>
        <ErrorBanner />
        <Reports />
      </>
    ));
    await screen.findByTestId("report-table");
    await waitFor(() => expect(reportForm.busy()).toBe(false));
    reportForm.setValues({ from: "2026-02-01", to: "2026-01-01" });
    fireEvent.submit(screen.getByTestId("report-form"));
    expect((await screen.findByTestId("field-error-to")).textContent).toContain("before the start");
    expect(calls.filter((c) => c.cmd === "reports.sales")).toHaveLength(1);
    refuse = true;
    await waitFor(() => expect(reportForm.busy()).toBe(false));
    reportForm.setValues({ from: "2024-01-01", to: "2026-01-01" });
    fireEvent.submit(screen.getByTestId("report-form"));
    await waitFor(() => expect(screen.getByTestId("field-error-to").textContent).toBe("at most 400 days after from_ms"));
    expect(screen.queryByTestId("error-banner")).toBeNull();
  });

  it("pages the stock valuation and always shows the grand total", async () => {
    signIn();
    const { calls } = fakeCore({ "reports.sales": salesReport, "reports.stock_valuation": valuation });
    render(() => <Reports />);
    await screen.findByTestId("valuation-row-1");
    expect(screen.getByTestId("valuation-total-value").textContent).toBe("11.40");
    expect(screen.getByTestId("valuation-value-1").textContent).toBe("6.40");
    expect((screen.getByTestId("valuation-prev") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByTestId("valuation-next"));
    await screen.findByTestId("valuation-row-2");
    expect(screen.queryByTestId("valuation-row-1")).toBeNull();
    expect(screen.getByTestId("valuation-total-value").textContent).toBe("11.40");
    expect((screen.getByTestId("valuation-next") as HTMLButtonElement).disabled).toBe(true);
    expect(calls.filter((c) => c.cmd === "reports.stock_valuation").map((c) => c.args.after_product_id)).toEqual([undefined, 1]);
    fireEvent.click(screen.getByTestId("valuation-prev"));
    await screen.findByTestId("valuation-row-1");
  });

  it("reads days and the offset as the core expects", () => {
    expect(dayStartMs("from", "2026-03-05")).toBe(new Date(2026, 2, 5).getTime());
    expect(dayStartMs("to", "2026-03-31", 1)).toBe(new Date(2026, 3, 1).getTime());
    expect(() => dayStartMs("from", "5/3/2026")).toThrow(/YYYY-MM-DD/);
    // Berlin in winter: getTimezoneOffset() is -60 → +60 minutes east of UTC.
    expect(shopTzOffsetMinutes({ getTimezoneOffset: () => -60 } as Date)).toBe(60);
    expect(shopTzOffsetMinutes({ getTimezoneOffset: () => 300 } as Date)).toBe(-300);
    expect(shopTzOffsetMinutes({ getTimezoneOffset: () => 0 } as Date)).toBe(0);
    expect(reportArgs({ from: "2026-01-01", to: "2026-01-01", group_by: "hour", metric: "total" }).to_ms - new Date(2026, 0, 1).getTime()).toBe(
      new Date(2026, 0, 2).getTime() - new Date(2026, 0, 1).getTime(),
    );
  });
});

describe("BarChart layout", () => {
  it("keeps a lone bar narrow and centred in the plot", () => {
    const g = barGeometry([5], PLOT);
    expect(g.bars[0].width).toBe(64);
    expect(g.bars[0].x + g.bars[0].width / 2).toBe(PLOT.left + PLOT.width / 2);
    expect(g.bars[0].height).toBe(200);
  });
});

describe("units in the sales report", () => {
  it("shows a product's quantity in its unit and counts items elsewhere", () => {
    expect(unitsCell(1250, { unit: "kg", quantity_decimals: 3 })).toBe("1.250 kg");
    expect(unitsCell(3, { unit: "each", quantity_decimals: 0 })).toBe("3");
    expect(unitsCell(7, { unit: null, quantity_decimals: null })).toBe("7");
    expect(unitsCell(null, { unit: null, quantity_decimals: null })).toBe("—");
  });
});
