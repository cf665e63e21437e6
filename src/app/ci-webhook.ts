import { effectsIntent, type IssueTarget } from "./advance.ts";
import type { Ingress } from "./ingest.ts";
import { deliveryEffectsJobId } from "./job-ids.ts";

/**
 * A CI webhook for one of a feature's commits: recorded (dedupe by delivery id) with one
 * effect, reading that commit's CI again. Nothing is decided from the payload itself: the
 * reading asks GitHub for the latest result of every check, so deliveries out of order or
 * lost do not matter.
 */
export async function ingestCiWebhook(
  deps: Ingress,
  delivery: { id: string; name: string },
  feature: { id: number; target: IssueTarget },
  sha: string,
): Promise<boolean> {
  const outcome = await deps.store.ingestDelivery({
    delivery,
    outbox: [
      effectsIntent(deliveryEffectsJobId(delivery.id), {
        featureId: feature.id,
        target: feature.target,
        effects: [{ type: "check_ci", sha }],
      }),
    ],
    outcome: "applied",
  });
  return outcome === "applied";
}
