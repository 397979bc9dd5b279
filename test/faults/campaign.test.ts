// The CI subset of the fault campaign (scripts/faults, `npm run faults -- --ci`): on a control
// plane of its own (.local/faults, ports +300), started here and stopped afterwards, so the
// shared cluster of the integration tests is never touched. Each experiment injects its fault
// at a moment of the operator's own progress and must keep every invariant of issue 28.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downFaultsCluster } from "../stage/faults/control-plane.ts";
import { CI_DURATIONS, CI_EXPERIMENTS, openCampaign, type Campaign } from "../stage/faults/campaign.ts";

let campaign: Campaign | undefined;
beforeAll(async () => {
  campaign = await openCampaign(CI_DURATIONS, (line) => console.log(line));
});
afterAll(async () => {
  await campaign?.close();
  await downFaultsCluster();
});

describe("faults on a control plane of its own", () => {
  for (const name of CI_EXPERIMENTS)
    it(name, async () => {
      const f = await (campaign as Campaign).run(name);
      expect(f.violations).toEqual([]);
      expect({ duplicates: f.duplicateActions, weightsOutsidePlan: f.weightsOutsidePlan, writesByNonLeader: f.writesByNonLeader, crashes: f.crashes }).toEqual({
        duplicates: 0,
        weightsOutsidePlan: 0,
        writesByNonLeader: 0,
        crashes: 0,
      });
    });
});
