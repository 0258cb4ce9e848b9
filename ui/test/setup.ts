import { cleanup, configure } from "@solidjs/testing-library";
import { afterEach } from "vitest";
import { resetTransport } from "../src/api";
import { dismissError } from "../src/errors";
import { resetAppForTests } from "../src/session";

// A loaded CI machine can take over a second to render a screen; the waits are
// for a state, not a time, so a longer bound only matters when a test fails.
configure({ asyncUtilTimeout: 5000 });

afterEach(() => {
  cleanup();
  resetTransport();
  dismissError();
  resetAppForTests();
});
