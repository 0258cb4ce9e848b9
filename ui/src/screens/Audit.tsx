import { createSignal, For, onMount, Show } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import { call, TillbookError, type UserView } from "../api";
import { AUDIT_KINDS, type AuditKind, auditSentence, commandsOfKind, recordLabel, screenFor } from "../auditWords";
import { SelectField, TextField } from "../components/Field";
import { reportError } from "../errors";
import { createForm } from "../forms";
import type { AuditFilter } from "../generated/AuditFilter";
import type { AuditRow } from "../generated/AuditRow";
import type { Outcome } from "../generated/Outcome";
import { formatDateTime } from "../locale";
import { can, onSignOut, setApp } from "../session";

export const AUDIT_PAGE = 100;

export const auditFilters = createForm("audit", () => ({
  user_id: "",
  kind: "",
  /** One command, when the history is opened for it (kept for links and tests). */
  command: "",
  result: "",
  from: "",
  to: "",
  /** The record filter: set by a row's "only this record", shown as a chip. */
  entity: "",
  entity_id: "",
  record_label: "",
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

type FilterValues = Partial<typeof auditFilters.values> & { user_id: string; result: string; from: string; to: string };

/** The filter form as `audit.list` arguments; empty fields are left out. */
export function filterArgs(v: FilterValues, beforeId: number | null): AuditFilter {
  const args: AuditFilter = { limit: AUDIT_PAGE };
  if (v.user_id !== "") args.user_id = Number(v.user_id);
  if (v.command) args.command = v.command;
  if (v.kind && v.kind in AUDIT_KINDS) args.commands = commandsOfKind(v.kind as AuditKind);
  if (v.result !== "") args.result = v.result as Outcome;
  if (v.entity) args.entity = v.entity;
  if (v.entity_id) args.entity_id = v.entity_id;
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
    { mapField: (f) => (f === "from_ms" ? "from" : f === "to_ms" ? "to" : f === "commands" ? "kind" : f) },
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

/** The raw summary for the details toggle (for support; amounts as stored). */
function summaryText(s: unknown): string {
  if (s === null || s === undefined) return "";
  if (typeof s === "object" && Object.keys(s as object).length === 0) return "";
  return JSON.stringify(s, null, 1);
}

const RESULT_OPTIONS = [
  { value: "", label: "Done or not" },
  { value: "ok", label: "Done" },
  { value: "refused", label: "Refused" },
  { value: "failed", label: "Failed" },
];

const RESULT_WORDS: Record<string, string> = { ok: "Done", refused: "Refused", failed: "Failed" };

/** Shows only this row's record (a sale, a product…). */
function onlyRecord(r: AuditRow) {
  auditFilters.setValues({ entity: r.entity ?? "", entity_id: r.entity_id ?? "", record_label: recordLabel(r) });
  void loadAudit();
}

function AuditEntry(props: { row: AuditRow }) {
  const [open, setOpen] = createSignal(false);
  const r = () => props.row;
  const screen = () => screenFor(r());
  return (
    <tr
      data-testid="audit-row"
      data-command={r().command}
      data-result={r().result}
      classList={{ refused: r().result === "refused", failed: r().result === "failed" }}
    >
      <td class="nowrap">{formatDateTime(r().at_ms)}</td>
      <td>
        <span data-testid="audit-sentence">{auditSentence(r())}</span>
        <Show when={open()}>
          <div class="audit-raw muted" data-testid="audit-raw">
            <div>
              <code>{r().command}</code>
              {r().entity ? <> · {r().entity} {r().entity_id ?? ""}</> : null}
              {r().error_code ? <> · <code>{r().error_code}</code></> : null}
            </div>
            <pre class="summary">{summaryText(r().summary)}</pre>
          </div>
        </Show>
      </td>
      <td>
        <span class={`result result-${r().result}`}>{RESULT_WORDS[r().result] ?? r().result}</span>
      </td>
      <td class="nowrap">
        <Show when={r().entity && r().entity_id && r().entity_id !== "?" && r().entity_id !== "*"}>
          <button type="button" class="link" data-testid="audit-only-record" onClick={() => onlyRecord(r())} title="Show only the history of this record">
            {recordLabel(r()) || "This record"}
          </button>
        </Show>
        <Show when={screen()}>
          {(s) => (
            <>
              {" "}
              <button type="button" class="link" data-testid="audit-open" onClick={() => setApp("screen", s())}>
                Open
              </button>
            </>
          )}
        </Show>
        {" "}
        <button type="button" class="link" data-testid="audit-raw-toggle" aria-expanded={open()} onClick={() => setOpen(!open())}>
          {open() ? "Hide details" : "Details"}
        </button>
      </td>
    </tr>
  );
}

export function Audit() {
  onMount(() => {
    void loadUsersForFilter();
    if (!audit.loaded) void loadAudit();
  });
  const userOptions = () => [
    { value: "", label: "Anyone" },
    ...audit.users.map((u) => ({ value: String(u.id), label: u.display_name || u.username })),
  ];
  const kindOptions = [
    { value: "", label: "Everything" },
    ...(Object.keys(AUDIT_KINDS) as AuditKind[]).map((k) => ({ value: k, label: AUDIT_KINDS[k] })),
  ];
  const filtered = () =>
    auditFilters.values.user_id !== "" ||
    auditFilters.values.kind !== "" ||
    auditFilters.values.result !== "" ||
    auditFilters.values.entity !== "" ||
    auditFilters.values.from !== "" ||
    auditFilters.values.to !== "";
  return (
    <section class="panel" data-testid="audit">
      <h1>Audit log</h1>
      <p class="muted">Everything done in the shop, newest first: who did what, and when.</p>
      <form
        class="filters"
        data-testid="audit-filters"
        onSubmit={(e) => {
          e.preventDefault();
          void loadAudit();
        }}
      >
        <SelectField form={auditFilters} name="user_id" label="Person" testid="audit-user" options={userOptions()} autofocus />
        <SelectField form={auditFilters} name="kind" label="Kind of action" testid="audit-kind" options={kindOptions} />
        <SelectField form={auditFilters} name="result" label="Outcome" testid="audit-result" options={RESULT_OPTIONS} />
        <TextField form={auditFilters} name="from" label="From" type="date" testid="audit-from" />
        <TextField form={auditFilters} name="to" label="To" type="date" testid="audit-to" />
        <Show when={auditFilters.values.entity !== ""}>
          <p class="chip" data-testid="audit-record-filter">
            Only {auditFilters.values.record_label || "this record"}{" "}
            <button
              type="button"
              class="link"
              data-testid="audit-record-clear"
              onClick={() => {
                auditFilters.setValues({ entity: "", entity_id: "", record_label: "" });
                void loadAudit();
              }}
            >
              Show all records
            </button>
          </p>
        </Show>
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
            <th>When</th>
            <th>What happened</th>
            <th>Outcome</th>
            <th />
          </tr>
        </thead>
        <tbody>
          <For
            each={audit.rows}
            fallback={
              <tr>
                <td colspan="4" class="muted" data-testid="audit-empty">
                  {audit.loading
                    ? "Loading…"
                    : filtered()
                      ? "Nothing matches these filters — clear them to see everything."
                      : "Nothing has happened yet — sales, changes and sign-ins will be listed here as they happen."}
                </td>
              </tr>
            }
          >
            {(r) => <AuditEntry row={r} />}
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
