import { For, onMount, Show } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import { call, COMMAND_NAMES, TillbookError, type UserView } from "../api";
import { SelectField, TextField } from "../components/Field";
import { formatTime, reportError } from "../errors";
import { createForm } from "../forms";
import type { AuditFilter } from "../generated/AuditFilter";
import type { AuditRow } from "../generated/AuditRow";
import type { Outcome } from "../generated/Outcome";
import { can, onSignOut } from "../session";

export const AUDIT_PAGE = 100;

export const auditFilters = createForm("audit", () => ({
  user_id: "",
  command: "",
  result: "",
  from: "",
  to: "",
}));

interface AuditState {
  rows: AuditRow[];
  users: UserView[];
  loading: boolean;
  /** The last page was full: there may be older rows. */
  more: boolean;
  loaded: boolean;
}
const initialState = (): AuditState => ({ rows: [], users: [], loading: false, more: false, loaded: false });
export const [audit, setAudit] = createStore<AuditState>(initialState());

onSignOut(() => {
  auditFilters.reset();
  setAudit(reconcile(initialState()));
});

/** `YYYY-MM-DD` (local) -> Unix ms at the start of that day, or of the next day with `endOfDay`. */
export function dateToMs(value: string, endOfDay = false): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (endOfDay ? 1 : 0));
  return endOfDay ? d.getTime() - 1 : d.getTime();
}

/** The filter form as `audit.list` arguments; empty fields are left out. */
export function filterArgs(v: typeof auditFilters.values, beforeId: number | null): AuditFilter {
  const args: AuditFilter = { limit: AUDIT_PAGE };
  if (v.user_id !== "") args.user_id = Number(v.user_id);
  if (v.command !== "") args.command = v.command;
  if (v.result !== "") args.result = v.result as Outcome;
  const from = dateToMs(v.from);
  const to = dateToMs(v.to, true);
  if (from !== null) args.from_ms = from;
  if (to !== null) args.to_ms = to;
  if (beforeId !== null) args.before_id = beforeId;
  return args;
}

/** Loads the first page (or, with `older`, the next older page) for the current filters. */
export async function loadAudit(older = false): Promise<boolean> {
  const before = older && audit.rows.length > 0 ? audit.rows[audit.rows.length - 1].id : null;
  setAudit("loading", true);
  const ok = await auditFilters.submit(
    async () => {
      const rows = await call("audit.list", filterArgs(auditFilters.values, before));
      setAudit({
        rows: older ? [...audit.rows, ...rows] : rows,
        more: rows.length === AUDIT_PAGE,
        loaded: true,
      });
    },
    { mapField: (f) => (f === "from_ms" ? "from" : f === "to_ms" ? "to" : f) },
  );
  setAudit("loading", false);
  return ok;
}

async function loadUsersForFilter() {
  if (!can("users.read") || audit.users.length > 0) return;
  try {
    setAudit("users", await call("users.list", { include_archived: true, limit: 200 }));
  } catch (e) {
    if (!(e instanceof TillbookError && e.code === "forbidden")) reportError(e);
  }
}

function summaryText(s: unknown): string {
  if (s === null || s === undefined) return "";
  if (typeof s === "object" && Object.keys(s as object).length === 0) return "";
  const text = JSON.stringify(s);
  return text.length > 160 ? text.slice(0, 157) + "…" : text;
}

const RESULT_OPTIONS = [
  { value: "", label: "Any result" },
  { value: "ok", label: "ok" },
  { value: "refused", label: "refused" },
  { value: "failed", label: "failed" },
];

export function Audit() {
  onMount(() => {
    void loadUsersForFilter();
    if (!audit.loaded) void loadAudit();
  });
  const userOptions = () => [
    { value: "", label: "Any user" },
    ...audit.users.map((u) => ({ value: String(u.id), label: `${u.username} (${u.display_name})` })),
  ];
  const commandOptions = [{ value: "", label: "Any command" }, ...COMMAND_NAMES.map((c) => ({ value: c, label: c }))];
  return (
    <section class="panel" data-testid="audit">
      <h1>Audit log</h1>
      <form
        class="filters"
        data-testid="audit-filters"
        onSubmit={(e) => {
          e.preventDefault();
          void loadAudit();
        }}
      >
        <SelectField form={auditFilters} name="user_id" label="User" testid="audit-user" options={userOptions()} autofocus />
        <SelectField form={auditFilters} name="command" label="Command" testid="audit-command" options={commandOptions} />
        <SelectField form={auditFilters} name="result" label="Result" testid="audit-result" options={RESULT_OPTIONS} />
        <TextField form={auditFilters} name="from" label="From" type="date" testid="audit-from" placeholder="YYYY-MM-DD" />
        <TextField form={auditFilters} name="to" label="To" type="date" testid="audit-to" placeholder="YYYY-MM-DD" />
        <div class="actions">
          <button type="submit" class="primary" data-testid="audit-apply" disabled={audit.loading}>
            Apply
          </button>
          <button
            type="button"
            data-testid="audit-clear"
            onClick={() => {
              auditFilters.reset();
              void loadAudit();
            }}
          >
            Clear
          </button>
        </div>
      </form>

      <table class="grid" data-testid="audit-table">
        <thead>
          <tr>
            <th>#</th>
            <th>Time</th>
            <th>User</th>
            <th>Command</th>
            <th>Record</th>
            <th>Result</th>
            <th>Details</th>
          </tr>
        </thead>
        <tbody>
          <For each={audit.rows} fallback={<tr><td colspan="7" class="muted">{audit.loading ? "Loading…" : "No entries match."}</td></tr>}>
            {(r) => (
              <tr data-testid="audit-row" data-command={r.command} data-result={r.result} classList={{ refused: r.result === "refused", failed: r.result === "failed" }}>
                <td>{r.id}</td>
                <td class="nowrap">{formatTime(r.at_ms)}</td>
                <td>{r.username ?? "—"}</td>
                <td>
                  <code>{r.command}</code>
                </td>
                <td>{r.entity ? `${r.entity} ${r.entity_id ?? ""}` : ""}</td>
                <td>
                  <span class={`result result-${r.result}`}>{r.result}</span>
                  <Show when={r.error_code}>
                    {" "}
                    <code>{r.error_code}</code>
                  </Show>
                </td>
                <td class="summary">{summaryText(r.summary)}</td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
      <div class="actions">
        <Show when={audit.more}>
          <button type="button" onClick={() => void loadAudit(true)} data-testid="audit-more" disabled={audit.loading}>
            Older entries
          </button>
        </Show>
      </div>
    </section>
  );
}
