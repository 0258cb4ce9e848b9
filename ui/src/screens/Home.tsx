import { app } from "../session";

export function Home() {
  return (
    <section class="panel" data-testid="home">
      <h1>Hello, {app.session?.display_name}</h1>
      <p>
        You are signed in to <strong>{app.shop?.name ?? app.shopName}</strong>
        {app.shop ? ` (${app.shop.currency_code})` : ""} as {app.session?.role}.
      </p>
      <p class="muted">Sell at the Till; open a Shift first to count the drawer. Use the menu on the left, or Alt+number.</p>
      <p class="muted">Press Alt+L or the Lock button when you step away from the till.</p>
    </section>
  );
}
