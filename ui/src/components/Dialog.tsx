import { onCleanup, onMount, type JSX } from "solid-js";

/**
 * A modal dialog: Esc (or the Close button) closes it, focus starts inside it
 * and returns to what had it before. Content decides its own first field.
 */
export function Dialog(props: { title: string; testid: string; onClose: () => void; children: JSX.Element }) {
  let box!: HTMLDivElement;
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      props.onClose();
    } else if (e.key === "Tab") {
      // Keep Tab inside the dialog.
      const items = Array.from(
        box.querySelectorAll<HTMLElement>("input, select, textarea, button, [tabindex]:not([tabindex='-1'])"),
      ).filter((el) => !el.hasAttribute("disabled"));
      if (items.length === 0) return;
      const first = items[0];
      const last = items[items.length - 1];
      if (e.shiftKey && document.activeElement === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    }
  };
  onMount(() => {
    // Focus the first field unless a child already took focus.
    queueMicrotask(() => {
      if (!box.contains(document.activeElement)) {
        const first = box.querySelector<HTMLElement>("input, select, textarea, button:not(.dialog-close)");
        first?.focus();
      }
    });
  });
  onCleanup(() => {
    if (opener?.isConnected) opener.focus();
  });
  const titleId = `${props.testid}-title`;
  return (
    <div class="dialog-backdrop" onKeyDown={onKey}>
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby={titleId} data-testid={props.testid} ref={box}>
        <header class="dialog-head">
          <h2 id={titleId}>{props.title}</h2>
          <button type="button" class="dialog-close" onClick={() => props.onClose()} data-testid={`${props.testid}-close`} title="Close (Esc)">
            Close
          </button>
        </header>
        {props.children}
      </div>
    </div>
  );
}
