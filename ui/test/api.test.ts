import { describe, expect, it, vi } from "vitest";
import { call, newIdempotencyKey, onCallError, setTransport, tauriTransport, TillbookError, toTillbookError } from "../src/api";
import { CoreError, fakeCore } from "./fake";

describe("call", () => {
  it("returns the command's data and sends {cmd, args}", async () => {
    const { calls } = fakeCore({ "setup.status": () => ({ needs_setup: true, shop_name: null }) });
    await expect(call("setup.status")).resolves.toEqual({ needs_setup: true, shop_name: null });
    expect(calls).toEqual([{ cmd: "setup.status", args: {} }]);
  });

  it("maps the core's error object to a typed TillbookError", async () => {
    fakeCore({
      "users.create": () => {
        throw new CoreError("duplicate", 'username "bob" is already in use', { field: "username", value: "bob" });
      },
    });
    const err = await call("users.create", {
      idempotency_key: "key-12345678",
      username: "bob",
      display_name: "Bob",
      role: "cashier",
      password: "secret123",
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TillbookError);
    const t = err as TillbookError;
    expect(t.code).toBe("duplicate");
    expect(t.message).toBe('username "bob" is already in use');
    expect(t.details).toEqual({ field: "username", value: "bob" });
    expect(t.field).toBe("username");
    expect(t.cmd).toBe("users.create");
  });

  it("keeps every stable code", () => {
    for (const code of ["unauthenticated", "forbidden", "validation", "not_found", "conflict", "locked", "busy"]) {
      expect(toTillbookError({ code, message: "m", details: {} }).code).toBe(code);
    }
  });

  it("turns Tauri's string rejections, unknown codes and JS errors into `internal`", () => {
    const s = toTillbookError("command dispatch not found");
    expect(s.code).toBe("internal");
    expect(s.message).toBe("command dispatch not found");
    expect(s.details.source).toBe("ipc");

    const unknown = toTillbookError({ code: "teapot", message: "short and stout" });
    expect(unknown.code).toBe("internal");
    expect(unknown.details).toMatchObject({ source: "ipc", original_code: "teapot" });

    const js = toTillbookError(new TypeError("x is undefined"));
    expect(js.code).toBe("internal");
    expect(js.details.source).toBe("ui");
  });

  it("defaults missing details to {}", () => {
    expect(toTillbookError({ code: "forbidden", message: "no" }).details).toEqual({});
  });

  it("tells listeners about every failure, then throws", async () => {
    fakeCore({
      "auth.whoami": () => {
        throw new CoreError("locked", "the till is locked", { until_ms: null });
      },
    });
    const seen = vi.fn();
    const off = onCallError(seen);
    await expect(call("auth.whoami")).rejects.toMatchObject({ code: "locked" });
    off();
    expect(seen).toHaveBeenCalledTimes(1);
    expect(seen.mock.calls[0][1]).toBe("auth.whoami");
  });

  it("uses window.__TAURI__.core.invoke('dispatch', {cmd, args}) by default", async () => {
    const invoke = vi.fn().mockResolvedValue(null);
    (globalThis as Record<string, unknown>).__TAURI__ = { core: { invoke } };
    try {
      setTransport(tauriTransport);
      await call("auth.lock");
      expect(invoke).toHaveBeenCalledWith("dispatch", { cmd: "auth.lock", args: {} });
    } finally {
      delete (globalThis as Record<string, unknown>).__TAURI__;
    }
  });

  it("explains a missing Tauri bridge instead of crashing", async () => {
    setTransport(tauriTransport);
    await expect(call("setup.status")).rejects.toMatchObject({ code: "internal", details: { source: "ui" } });
  });
});

describe("newIdempotencyKey", () => {
  it("is a valid key that sorts by the time it was made", () => {
    const earlier = newIdempotencyKey(1_700_000_000_000);
    const later = newIdempotencyKey(1_700_000_000_001);
    for (const k of [earlier, later, newIdempotencyKey()]) {
      expect(k).toMatch(/^[A-Za-z0-9_:.-]{8,128}$/);
    }
    expect(earlier < later).toBe(true);
    expect(newIdempotencyKey(5)).not.toBe(newIdempotencyKey(5));
  });
});
