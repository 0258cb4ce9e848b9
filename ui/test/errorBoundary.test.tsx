import { fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { createSignal, Show } from "solid-js";
import { describe, expect, it } from "vitest";
import { AppErrorBoundary } from "../src/components/AppErrorBoundary";
import { ErrorBanner } from "../src/components/ErrorBanner";
import { TextField } from "../src/components/Field";
import { banner, installGlobalErrorHandlers } from "../src/errors";
import { createForm } from "../src/forms";

// A screen whose state lives in a module-level form, like every real screen.
const saleForm = createForm("sale", () => ({ note: "" }));
const [explode, setExplode] = createSignal(false);

function Bomb(): null {
  throw new Error("the receipt preview crashed");
}

function SaleScreen() {
  return (
    <form data-testid="sale-form">
      <TextField form={saleForm} name="note" label="Note" testid="sale-note" />
      <Show when={explode()}>
        <Bomb />
      </Show>
    </form>
  );
}

describe("the error boundary (T23)", () => {
  it("t23_shows_the_error_with_its_code_and_keeps_what_was_typed", async () => {
    saleForm.reset();
    setExplode(false);
    render(() => (
      <>
        <ErrorBanner />
        <AppErrorBoundary>
          <SaleScreen />
        </AppErrorBoundary>
      </>
    ));
    const input = screen.getByTestId("sale-note") as HTMLInputElement;
    fireEvent.input(input, { target: { value: "2 coffees, 1 cake" } });
    expect(saleForm.values.note).toBe("2 coffees, 1 cake");

    setExplode(true);
    await screen.findByTestId("error-boundary");
    const b = await screen.findByTestId("error-banner");
    expect(b.textContent).toContain("the receipt preview crashed");
    expect(screen.getByTestId("error-code").textContent).toBe("internal");
    expect(screen.getByTestId("error-plain").textContent).toMatch(/kept/);
    expect(screen.queryByTestId("sale-form")).toBeNull();
    // The state survived the component that failed.
    expect(saleForm.values.note).toBe("2 coffees, 1 cake");

    // Recover without a reload: the screen comes back with the same entry.
    setExplode(false);
    fireEvent.click(screen.getByTestId("error-retry"));
    const again = (await screen.findByTestId("sale-note")) as HTMLInputElement;
    expect(again.value).toBe("2 coffees, 1 cake");

    // The banner is dismissible.
    fireEvent.click(screen.getByTestId("error-dismiss"));
    await waitFor(() => expect(screen.queryByTestId("error-banner")).toBeNull());
  });

  it("t23_shows_uncaught_errors_and_unhandled_rejections_in_the_banner", async () => {
    const off = installGlobalErrorHandlers(window);
    try {
      render(() => <ErrorBanner />);
      const rejection = Object.assign(new Event("unhandledrejection", { cancelable: true }), {
        reason: { code: "busy", message: "the database stayed busy after 5 attempts", details: { attempts: 5 } },
      });
      window.dispatchEvent(rejection);
      await screen.findByTestId("error-banner");
      expect(screen.getByTestId("error-code").textContent).toBe("busy");
      expect(screen.getByTestId("error-plain").textContent).toMatch(/Nothing was saved/);

      window.dispatchEvent(new ErrorEvent("error", { error: new Error("late handler bug"), cancelable: true }));
      await waitFor(() => expect(banner()?.message).toBe("late handler bug"));
    } finally {
      off();
    }
  });
});
