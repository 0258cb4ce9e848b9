// `attr:inert` sets the HTML attribute (jsdom lacks the `inert` property the
// plain prop would set), so the locked frame is inert in tests and in WebKit.
import "solid-js";

declare module "solid-js" {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace JSX {
    interface ExplicitAttributes {
      inert: string | undefined;
    }
  }
}
