// A stand-in for the Tauri shell: answers commands from handlers, rejects with
// the shell's error object `{code, message, details}` like the real one.
import { type CommandName, type RolePermissions, setTransport } from "../src/api";

export type Handler = (args: Record<string, unknown>) => unknown;

export class CoreError {
  constructor(
    public code: string,
    public message: string,
    public details: Record<string, unknown> = {},
  ) {}
}

/**
 * Reads a screen makes on the side (the till's quick keys, the Products list):
 * answered empty unless a test gives its own handler, so tests about something
 * else need not know about them.
 */
const QUIET_READS: Partial<Record<CommandName, Handler>> = {
  "catalog.key_pages": () => ({ pages: [] }),
  "catalog.list_products": () => ({ items: [], next_after_id: null }),
  "catalog.categories": () => ({ categories: [] }),
};

export function fakeCore(handlers: Partial<Record<CommandName, Handler>>) {
  const calls: { cmd: string; args: Record<string, unknown> }[] = [];
  setTransport(async (cmd, args) => {
    calls.push({ cmd, args: args as Record<string, unknown> });
    const h = handlers[cmd as CommandName] ?? QUIET_READS[cmd as CommandName];
    if (!h) throw { code: "internal", message: `fake core has no handler for ${cmd}`, details: {} };
    try {
      return await h(args as Record<string, unknown>);
    } catch (e) {
      if (e instanceof CoreError) throw { code: e.code, message: e.message, details: e.details };
      throw e;
    }
  });
  return { calls };
}

// As crates/tillbook-core/src/access.rs (and docs/API.md's role table).
export const ROLES: RolePermissions[] = [
  {
    role: "owner",
    permissions: [
      "users.manage", "users.read", "audit.read", "settings.manage", "credit.approve", "catalog.manage", "stock.adjust",
      "stock.count", "sales.sell", "sales.refund", "customers.manage", "credit.manage", "vendors.manage", "vendors.pay",
      "ledger.read", "sales.void", "sales.discount", "invoices.manage", "loyalty.manage", "shop.manage", "tax.manage", "purchases.order",
    ],
  },
  {
    role: "manager",
    permissions: [
      "users.manage", "users.read", "audit.read", "credit.approve", "catalog.manage", "stock.adjust", "stock.count",
      "sales.sell", "sales.refund", "customers.manage", "credit.manage", "vendors.manage", "vendors.pay", "ledger.read",
      "sales.void", "sales.discount", "invoices.manage", "loyalty.manage", "tax.manage", "purchases.order",
    ],
  },
  { role: "cashier", permissions: ["stock.count", "sales.sell", "customers.manage"] },
];

export const OWNER_SESSION = {
  user_id: 1,
  username: "ana",
  display_name: "Ana",
  role: "owner" as const,
  locked: false,
  idle_lock_ms: 300000,
  permissions: ROLES[0].permissions,
};

export const SHOP = { name: "Corner Shop", currency_code: "EUR", currency_scale: 2, host_id: "h1", created_at_ms: 0, denominations_minor: [50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1], country_code: "", address: "", phone: "", tax_number: "", timezone: "", locale: "", version: 1 };

export const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
