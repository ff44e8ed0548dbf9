// The demo's front file (docs/architecture.md): `mosaic demo`'s private fleet. Other
// folders import it only from here.

export { DEMO_NAME_RE, demoDown, demoIdentity, demoStart, nameFlag } from "./demo.js";
export type { DemoIo } from "./demo.js";
