import { describe, expect, it } from "vitest";
import {
  agentJobId,
  agentJobPrefix,
  deliveryEffectsJobId,
  effectsJobId,
  featureJobPrefix,
  reviewFlowId,
  reviewJobPrefix,
  statusJobId,
} from "../../../src/app/job-ids.ts";

describe("job ids", () => {
  it("every id of a feature starts with its prefix, and is the same for the same intent", () => {
    const ids = [
      effectsJobId(7, 3),
      statusJobId(7),
      agentJobId(7, "spec", "k1"),
      reviewFlowId(7, "abc"),
    ];
    expect(ids).toEqual(["f7-v3", "f7-status", "f7-a-spec-k1", "f7-r-abc"]);
    expect(deliveryEffectsJobId("abc-1")).toBe("d-abc-1");
    for (const id of ids) expect(id.startsWith(featureJobPrefix(7))).toBe(true);
    expect(agentJobId(7, "spec", "k1")).toBe(agentJobId(7, "spec", "k1"));
  });

  it("agent and review prefixes tell the two kinds apart and do not match another feature", () => {
    expect(agentJobId(7, "ba", "x").startsWith(agentJobPrefix(7))).toBe(true);
    expect(reviewFlowId(7, "x").startsWith(reviewJobPrefix(7))).toBe(true);
    expect(agentJobId(70, "ba", "x").startsWith(agentJobPrefix(7))).toBe(false);
  });
});
