// Home: the shop's day at a glance, from one read (`dashboard.today`), and the
// getting-started checklist until the owner is set up. Every panel links to
// the screen that does the work. A cashier's role does not read the shop's
// takings: their Home shows their own drawer and what is running low.

import { For, type JSX, Match, Show, Switch, createSignal, onMount } from "solid-js";
import { createStore } from "solid-js/store";
import { call, type ShiftView, type Unit } from "../api";
import type { ChecklistItem } from "../generated/ChecklistItem";
import type { ChecklistStep } from "../generated/ChecklistStep";
import type { ChecklistTick } from "../generated/ChecklistTick";
import type { Dashboard } from "../generated/Dashboard";
import type { DashboardHour } from "../generated/DashboardHour";
import type { LowStockLine } from "../generated/LowStockLine";
import { formatTime, reportError } from "../errors";
import { formatWithUnit } from "../logic/quantity";
import { formatAmount } from "../money";
import { app, can, setApp } from "../session";
import { openProduct } from "./Products";
import { showStockFor } from "./Stock";
import "./home.css";

/** The shop's offset from UTC now, as the Reports screen sends it. */
export function tzOffsetMinutes(at: Date = new Date()): number {
  const off = -at.getTimezoneOffset();
  return off === 0 ? 0 : off;
}

/** 129 -> "£1.29": an amount with the shop's currency sign. */
export function amount(minor: number): string {
  return formatAmount(minor);
}

function qty(q: number, unit: string, decimals: number): string {
  return formatWithUnit(q, { unit: unit as Unit, quantity_decimals: decimals });
}

/** "Thursday" for "2026-01-08". */
export function weekdayOf(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? day : d.toLocaleDateString(undefined, { weekday: "long", timeZone: "UTC" });
}

export interface HourBar {
  hour: number;
  x: number;
  width: number;
  todayY: number;
  todayHeight: number;
  lastWeekY: number;
  lastWeekHeight: number;
}

export interface ChartBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Two bars per hour (today, then the same weekday last week) on one scale from
 * the zero line at the bottom; an hour whose refunds outweigh its sales draws
 * no bar (the tiles show the money, the chart the shape of the day).
 */
export function hourBars(hours: readonly DashboardHour[], box: ChartBox): HourBar[] {
  const max = Math.max(1, ...hours.flatMap((h) => [h.today_minor, h.last_week_minor]));
  const band = box.width / Math.max(1, hours.length);
  const barWidth = Math.max(1, band * 0.4);
  const bottom = box.top + box.height;
  const scale = (v: number) => (Math.max(0, v) / max) * box.height;
  return hours.map((h, i) => {
    const th = scale(h.today_minor);
    const lh = scale(h.last_week_minor);
    return {
      hour: h.hour,
      x: box.left + i * band + band * 0.1,
      width: barWidth,
      todayY: bottom - th,
      todayHeight: th,
      lastWeekY: bottom - lh,
      lastWeekHeight: lh,
    };
  });
}

const BOX: ChartBox = { left: 8, top: 8, width: 576, height: 150 };

export function HourChart(props: { hours: readonly DashboardHour[]; lastWeekday: string }) {
  const bars = () => hourBars(props.hours, BOX);
  const any = () => props.hours.some((h) => h.today_minor > 0 || h.last_week_minor > 0);
  return (
    <figure class="home-chart" data-testid="home-chart">
      <figcaption>
        Sales by hour: <span class="key today">today</span> and <span class="key last-week">last {props.lastWeekday}</span>
      </figcaption>
      <Show when={any()} fallback={<p class="muted" data-testid="home-chart-empty">No sales this day or the same day last week yet.</p>}>
        <svg viewBox="0 0 592 184" role="img" aria-label={`Sales by hour, today and last ${props.lastWeekday}`}>
          <line x1={BOX.left} x2={BOX.left + BOX.width} y1={BOX.top + BOX.height} y2={BOX.top + BOX.height} class="axis" />
          <For each={bars()}>
            {(b, i) => (
              <g>
                <rect
                  class="bar today"
                  x={b.x}
                  y={b.todayY}
                  width={b.width}
                  height={b.todayHeight}
                  data-testid={`home-bar-today-${b.hour}`}
                  data-value={props.hours[i()].today_minor}
                >
                  <title>{`${String(b.hour).padStart(2, "0")}:00 today: ${amount(props.hours[i()].today_minor)}`}</title>
                </rect>
                <rect
                  class="bar last-week"
                  x={b.x + b.width}
                  y={b.lastWeekY}
                  width={b.width}
                  height={b.lastWeekHeight}
                  data-testid={`home-bar-last-week-${b.hour}`}
                  data-value={props.hours[i()].last_week_minor}
                >
                  <title>{`${String(b.hour).padStart(2, "0")}:00 last ${props.lastWeekday}: ${amount(props.hours[i()].last_week_minor)}`}</title>
                </rect>
                <Show when={b.hour % 3 === 0}>
                  <text x={b.x + b.width} y={BOX.top + BOX.height + 16} class="tick">
                    {String(b.hour).padStart(2, "0")}
                  </text>
                </Show>
              </g>
            )}
          </For>
        </svg>
      </Show>
    </figure>
  );
}

/** What each checklist step says, the tick's words, and the screen that does it. */
export const STEPS: Record<ChecklistStep, { title: string; hint: string; tick?: string; screen: string; go: string }> = {
  tax_rates: {
    title: "Check your tax rates",
    hint: "Make sure the rates your prices use are right for your shop.",
    tick: "Tax rates look right",
    screen: "settings",
    go: "Open Settings",
  },
  products: { title: "Add your first products", hint: "Name, price and barcode of what you sell.", screen: "products", go: "Add products" },
  stock: { title: "Receive stock", hint: "Tell Tillbook what is on your shelves.", screen: "stock", go: "Receive stock" },
  staff: { title: "Add your staff", hint: "Give each person their own sign-in.", screen: "users", go: "Add a user" },
  printer: {
    title: "Set up a receipt printer",
    hint: "Printers come in a later update; you can sell without one.",
    tick: "I'll set up a printer later",
    screen: "settings",
    go: "Open Settings",
  },
  backup: {
    title: "Take a backup",
    hint: "Copy the shop's file somewhere safe with Tillbook's backup, then tick it here.",
    tick: "I've taken a backup",
    screen: "settings",
    go: "Open Settings",
  },
};

function go(screen: string) {
  setApp("screen", screen);
}

function Link(props: { to: string; testid: string; children: string }) {
  return (
    <button type="button" class="link" onClick={() => go(props.to)} data-testid={props.testid}>
      {props.children}
    </button>
  );
}

async function openStockOf(productId: number) {
  try {
    showStockFor(await call("catalog.get_product", { id: productId }));
  } catch (e) {
    reportError(e);
  }
}

async function openProductOf(productId: number) {
  try {
    const p = await call("catalog.get_product", { id: productId });
    go("products");
    await openProduct(p);
  } catch (e) {
    reportError(e);
  }
}

interface HomeState {
  dashboard: Dashboard | null;
  /** A cashier's view: their drawer and the low-stock list. */
  drawer: ShiftView | null;
  low: LowStockLine[];
  loaded: boolean;
  /** The last read failed: said on Home itself, not in the banner (nobody asked for it). */
  failed: boolean;
}

const [home, setHome] = createStore<HomeState>({ dashboard: null, drawer: null, low: [], loaded: false, failed: false });
export { home };

export function resetHomeForTests(): void {
  setHome({ dashboard: null, drawer: null, low: [], loaded: false, failed: false });
}

export async function loadHome(): Promise<void> {
  try {
    if (can("ledger.read")) {
      setHome("dashboard", await call("dashboard.today", { tz_offset_minutes: tzOffsetMinutes() }));
    } else {
      const [drawer, low] = await Promise.all([
        can("sales.sell") ? call("shifts.current", {}) : Promise.resolve(null),
        call("stock.low", { limit: 5 }),
      ]);
      setHome({ drawer, low: low.lines });
    }
    setHome("failed", false);
  } catch (e) {
    // Home reads on its own when it opens: a failure is shown in its place,
    // with Refresh to try again, and logged for the details.
    console.warn("Home could not load", e);
    setHome("failed", true);
  } finally {
    setHome("loaded", true);
  }
}

function LowStockPanel(props: { lines: readonly LowStockLine[]; more: boolean }) {
  return (
    <section class="home-panel" data-testid="home-low-stock">
      <h2>Running low</h2>
      <Show when={props.lines.length > 0} fallback={<p class="muted" data-testid="home-low-empty">Nothing is running low. Set a reorder point on a product to be warned here.</p>}>
        <ul class="home-list">
          <For each={props.lines}>
            {(l) => (
              <li>
                <button type="button" class="link" onClick={() => void openStockOf(l.product_id)} data-testid={`home-low-${l.sku}`}>
                  {l.name}
                </button>
                <span class="muted">
                  {qty(l.available, l.unit, l.quantity_decimals)} left (reorder at {qty(l.reorder_point, l.unit, l.quantity_decimals)})
                </span>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Link to="stock" testid="home-link-stock">
        {props.more ? "See everything running low in Stock" : "Go to Stock"}
      </Link>
    </section>
  );
}

function Checklist(props: { items: readonly ChecklistItem[]; complete: boolean }) {
  const [busy, setBusy] = createSignal(false);
  const tick = async (step: ChecklistTick, done: boolean) => {
    setBusy(true);
    try {
      const checklist = await call("dashboard.checklist_tick", { step, done });
      setHome("dashboard", (d) => (d ? { ...d, checklist } : d));
    } catch (e) {
      reportError(e);
    } finally {
      setBusy(false);
    }
  };
  const left = () => props.items.filter((i) => !i.done).length;
  return (
    <section class="home-panel home-checklist" data-testid="home-checklist">
      <h2>Getting started</h2>
      <p class="muted" data-testid="home-checklist-left">
        {props.complete ? "Everything is set up." : `${left()} of ${props.items.length} steps left.`}
      </p>
      <ol>
        <For each={props.items}>
          {(item) => {
            const s = STEPS[item.step];
            return (
              <li classList={{ done: item.done }} data-testid={`home-step-${item.step}`} data-done={item.done ? "yes" : "no"}>
                <span class="check" aria-hidden="true">
                  {item.done ? "✓" : "○"}
                </span>
                <div class="step-text">
                  <strong>{s.title}</strong>
                  <Show when={!item.done}>
                    <span class="muted"> — {s.hint}</span>
                  </Show>
                </div>
                <div class="step-actions">
                    <Link to={s.screen} testid={`home-step-go-${item.step}`}>
                      {s.go}
                    </Link>
                    <Show when={item.tickable && s.tick}>
                      <label class="inline">
                        <input
                          type="checkbox"
                          checked={item.ticked}
                          disabled={busy()}
                          onChange={(e) => void tick(item.step as ChecklistTick, e.currentTarget.checked)}
                          data-testid={`home-tick-${item.step}`}
                        />
                        {s.tick}
                      </label>
                    </Show>
                </div>
              </li>
            );
          }}
        </For>
      </ol>
      <Show when={props.complete}>
        <button type="button" onClick={() => void tick("hidden", true)} disabled={busy()} data-testid="home-checklist-hide">
          Hide this list
        </button>
      </Show>
    </section>
  );
}

/** The day's figures; `children` (the checklist) sits between the tiles and the chart. */
function ShopDay(props: { d: Dashboard; children?: JSX.Element }) {
  const d = () => props.d;
  const lastWeekday = () => weekdayOf(d().last_week_day);
  const inv = () => d().invoices;
  return (
    <>
      <div class="home-tiles">
        <button type="button" class="home-tile" onClick={() => go("reports")} data-testid="home-tile-total">
          <span class="label">Today's sales</span>
          <strong data-testid="home-sales-total">{amount(d().sales_total_minor)}</strong>
          <span class="muted">
            <Show when={d().refunds_count > 0} fallback={`Last ${lastWeekday()}: ${amount(d().last_week_total_minor)}`}>
              after {amount(d().refunds_minor)} refunded · last {lastWeekday()}: {amount(d().last_week_total_minor)}
            </Show>
          </span>
        </button>
        <button type="button" class="home-tile" onClick={() => go("orders")} data-testid="home-tile-count">
          <span class="label">Sales</span>
          <strong data-testid="home-sales-count">{d().sales_count}</strong>
          <span class="muted">{d().sales_count === 1 ? "sale today" : "sales today"}</span>
        </button>
        <button type="button" class="home-tile" onClick={() => go("reports")} data-testid="home-tile-basket">
          <span class="label">Average sale</span>
          <strong data-testid="home-average-basket">{amount(d().average_basket_minor)}</strong>
          <span class="muted">per customer today</span>
        </button>
      </div>
      <Show when={d().sales_count === 0 && d().refunds_count === 0}>
        <p class="notice" data-testid="home-no-sales">
          No sales yet today — open the <Link to="till" testid="home-link-till">Till</Link> to ring up the first.
        </p>
      </Show>
      {props.children}
      <HourChart hours={d().hours} lastWeekday={lastWeekday()} />
      <div class="home-panels">
        <section class="home-panel" data-testid="home-top-products">
          <h2>Best sellers today</h2>
          <Show when={d().top_products.length > 0} fallback={<p class="muted" data-testid="home-top-empty">Your best sellers show here after the first sale.</p>}>
            <ol class="home-list">
              <For each={d().top_products}>
                {(p) => (
                  <li>
                    <button type="button" class="link" onClick={() => void openProductOf(p.product_id)} data-testid={`home-top-${p.sku}`}>
                      {p.name}
                    </button>
                    <span class="muted">
                      {qty(p.quantity, p.unit, p.quantity_decimals)} sold · {amount(p.revenue_minor)}
                    </span>
                  </li>
                )}
              </For>
            </ol>
          </Show>
          <Link to="reports" testid="home-link-reports">
            See the sales report
          </Link>
        </section>
        <LowStockPanel lines={d().low_stock.lines} more={d().low_stock.truncated} />
        <section class="home-panel" data-testid="home-open-shifts">
          <h2>Open tills</h2>
          <Show when={d().open_shifts.length > 0} fallback={<p class="muted" data-testid="home-shifts-empty">No till is open. Open a shift to count the float before taking cash.</p>}>
            <ul class="home-list">
              <For each={d().open_shifts}>
                {(s) => (
                  <li data-testid={`home-shift-${s.number}`}>
                    <strong>{s.user_name}</strong>
                    <span class="muted">
                      since {formatTime(s.opened_at_ms)} · should hold {amount(s.expected_cash_minor)}
                    </span>
                  </li>
                )}
              </For>
            </ul>
          </Show>
          <Link to="shift" testid="home-link-shift">
            Go to Shift
          </Link>
        </section>
        <section class="home-panel" data-testid="home-invoices">
          <h2>Invoices to be paid</h2>
          <Show when={inv().unpaid_count > 0} fallback={<p class="muted" data-testid="home-invoices-empty">No unpaid invoices.</p>}>
            <p>
              <strong data-testid="home-invoices-unpaid">{amount(inv().unpaid_minor)}</strong> on {inv().unpaid_count}{" "}
              {inv().unpaid_count === 1 ? "invoice" : "invoices"}
              <Show when={inv().overdue_minor > 0}>
                , <strong class="danger" data-testid="home-invoices-overdue">{amount(inv().overdue_minor)} overdue</strong>
              </Show>
            </p>
            <Show when={inv().oldest_overdue}>
              {(o) => (
                <p class="muted" data-testid="home-invoices-oldest">
                  Longest overdue: invoice {o().number} to {o().customer_name}, {amount(o().outstanding_minor)}, {o().days_past_due}{" "}
                  {o().days_past_due === 1 ? "day" : "days"} late.
                </p>
              )}
            </Show>
          </Show>
          <Show when={can("invoices.manage")}>
            <Link to="invoices" testid="home-link-invoices">
              Go to Invoices
            </Link>
          </Show>
        </section>
        <section class="home-panel" data-testid="home-sync">
          <h2>Head office</h2>
          <p class="muted" data-testid="home-sync-pending">
            <Show when={d().sync.pending > 0} fallback="Nothing waiting to be sent.">
              {d().sync.pending} {d().sync.pending === 1 ? "change is" : "changes are"} kept safe on this computer, ready to send when
              head office sync is set up.
            </Show>
          </p>
          <Show when={can("audit.read")}>
            <Link to="audit" testid="home-link-audit">
              See what changed
            </Link>
          </Show>
        </section>
      </div>
    </>
  );
}

function CashierDay() {
  return (
    <>
      <section class="home-panel" data-testid="home-drawer">
        <h2>Your till</h2>
        <Show
          when={home.drawer}
          fallback={
            <p class="muted" data-testid="home-drawer-none">
              No shift is open. Open one in <Link to="shift" testid="home-link-shift">Shift</Link> to count the float, then sell at the Till.
            </p>
          }
        >
          {(s) => (
            <p data-testid="home-drawer-open">
              Shift {s().number} open since {formatTime(s().opened_at_ms)}; the drawer should hold{" "}
              <strong>{amount(s().expected_cash_minor)}</strong>.
            </p>
          )}
        </Show>
        <Link to="till" testid="home-link-till">
          Open the Till
        </Link>
      </section>
      <LowStockPanel lines={home.low} more={false} />
    </>
  );
}

export function Home() {
  onMount(() => void loadHome());
  const checklistShown = () => {
    const c = home.dashboard?.checklist;
    return can("settings.manage") && c !== undefined && !c.hidden;
  };
  return (
    <section class="panel home" data-testid="home">
      <header class="home-head">
        <h1>Hello, {app.session?.display_name}</h1>
        <button type="button" onClick={() => void loadHome()} data-testid="home-refresh">
          Refresh
        </button>
      </header>
      <Show when={home.failed}>
        <p class="notice home-failed" data-testid="home-failed">
          Today's figures could not be loaded just now. Press Refresh to try again.
        </p>
      </Show>
      <Switch>
        <Match when={home.dashboard}>
          {(d) => (
            <ShopDay d={d()}>
              <Show when={checklistShown()}>
                <Checklist items={d().checklist.items} complete={d().checklist.complete} />
              </Show>
            </ShopDay>
          )}
        </Match>
        <Match when={home.loaded && !can("ledger.read")}>
          <CashierDay />
        </Match>
        <Match when={!home.loaded && !home.failed}>
          <p class="muted">Loading today's figures…</p>
        </Match>
      </Switch>
      <p class="muted">Press Alt+L or the Lock button when you step away from the till.</p>
    </section>
  );
}
