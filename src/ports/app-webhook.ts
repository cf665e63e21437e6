/** One attempt to deliver an event to the app's webhook, as GitHub lists it. */
export interface HookDelivery {
  /** This attempt's id (what a redelivery is asked for). */
  id: number;
  /** The event's id, shared by every attempt to deliver it: the X-GitHub-Delivery header. */
  guid: string;
  deliveredAt: string;
  redelivery: boolean;
  /** "OK" when the app answered 2xx; otherwise what went wrong. */
  status: string;
  statusCode: number;
  event: string;
  action: string | null;
}

/** The app's own webhook on GitHub (calls made as the app, with its JWT). */
export interface AppWebhookPort {
  /** Every delivery GitHub still keeps, newest first, a page at a time. */
  deliveryPages(): AsyncIterable<HookDelivery[]>;
  /** Asks GitHub to deliver that attempt's event again (same guid and payload). */
  redeliver(deliveryId: number): Promise<void>;
}
