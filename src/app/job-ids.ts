// Every BullMQ job id the app makes, in one place. Ids are deterministic: the same intent
// enqueued twice is one job. All of a feature's ids start with `f<feature>-`.

/** Every job of one feature (uninstall removes them by this prefix). */
export const featureJobPrefix = (featureId: number) => `f${featureId}-`;

/** `f<feature>-v<version>`: the effects of the transition that saved `version`. */
export const effectsJobId = (featureId: number, version: number) =>
  `${featureJobPrefix(featureId)}v${version}`;

/** `f<feature>-status`: the status comment's refresh (one at a time per feature). */
export const statusJobId = (featureId: number) => `${featureJobPrefix(featureId)}status`;

/** Agents' jobs: `f<feature>-a-<agent>-<key>`. */
export const agentJobPrefix = (featureId: number) => `${featureJobPrefix(featureId)}a-`;
export const agentJobId = (featureId: number, agent: string, key: string) =>
  `${agentJobPrefix(featureId)}${agent}-${key}`;

/** Review flows: `f<feature>-r-<key>-verdict`, with one `f<feature>-r-<key>-<review>` child each. */
export const reviewJobPrefix = (featureId: number) => `${featureJobPrefix(featureId)}r-`;
export const reviewFlowId = (featureId: number, key: string) =>
  `${reviewJobPrefix(featureId)}${key}`;

/** `d-<delivery>`: the effects of a webhook that concern no feature yet (or a new one). */
export const deliveryEffectsJobId = (deliveryId: string) => `d-${deliveryId}`;

/** `f<feature>-ci-<sha>`: reading the CI on one commit (`-deadline`: when the wait is over). */
export const ciJobId = (featureId: number, sha: string, deadline: boolean) =>
  `${featureJobPrefix(featureId)}ci-${sha.slice(0, 40)}${deadline ? "-deadline" : ""}`;
