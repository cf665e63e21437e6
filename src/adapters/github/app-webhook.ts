import type { Probot } from "probot";
import { toGitHubApiError } from "../../errors.ts";
import type { AppWebhookPort, HookDelivery } from "../../ports/app-webhook.ts";

type AppOctokit = Awaited<ReturnType<Probot["auth"]>>;

interface HookDeliveryItem {
  id: number;
  guid: string;
  delivered_at: string;
  redelivery: boolean;
  status: string;
  status_code: number;
  event: string;
  action: string | null;
}

/** The app's webhook deliveries through Probot's app-authenticated (JWT) Octokit. */
export class OctokitAppWebhook implements AppWebhookPort {
  readonly #probot: Probot;

  constructor(probot: Probot) {
    this.#probot = probot;
  }

  async #octokit(): Promise<AppOctokit> {
    // Without an installation id Probot authenticates as the app itself.
    const octokit = await this.#probot.auth();
    octokit.hook.error("request", (error) => {
      throw toGitHubApiError(error);
    });
    return octokit;
  }

  /**
   * https://docs.github.com/rest/apps/webhooks#list-deliveries-for-an-app-webhook: newest
   * first; the next page is named by a cursor in the Link header, which Octokit follows.
   */
  async *deliveryPages(): AsyncIterable<HookDelivery[]> {
    const octokit = await this.#octokit();
    const pages = octokit.paginate.iterator("GET /app/hook/deliveries", { per_page: 100 });
    for await (const page of pages) {
      yield (page.data as HookDeliveryItem[]).map((d) => ({
        id: d.id,
        guid: d.guid,
        deliveredAt: d.delivered_at,
        redelivery: d.redelivery,
        status: d.status,
        statusCode: d.status_code,
        event: d.event,
        action: d.action ?? null,
      }));
    }
  }

  /** https://docs.github.com/rest/apps/webhooks#redeliver-a-delivery-for-an-app-webhook (202). */
  async redeliver(deliveryId: number): Promise<void> {
    const octokit = await this.#octokit();
    await octokit.request("POST /app/hook/deliveries/{delivery_id}/attempts", {
      delivery_id: deliveryId,
    });
  }
}
