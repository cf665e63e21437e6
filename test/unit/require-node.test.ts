import { describe, expect, it } from "vitest";
import { nodeVersionProblem } from "../../scripts/require-node.mjs";

describe("the Node version check before every npm script", () => {
  it("names the Node needed, the one found and how to run the script with it", () => {
    expect(nodeVersionProblem("v20.20.2", "demo")).toBe(
      "Build Practical needs Node.js 24 or newer; this is Node v20.20.2. Run it with `npx -p node@24 npm run demo`, or install Node 24 (https://nodejs.org).",
    );
    expect(nodeVersionProblem("v18.0.0", undefined)).toMatch(/npx -p node@24 npm start/);
  });

  it("lets Node 24 and newer through", () => {
    expect(nodeVersionProblem("v24.0.0", "test")).toBeNull();
    expect(nodeVersionProblem("v26.1.0", "test")).toBeNull();
  });
});
