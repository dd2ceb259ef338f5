import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ValidationError } from '../../domain/errors.js';
import { hostOf, parseWebhookTarget, refusedAddress, type WebhookTargetPolicy } from '../../domain/webhook-target.js';

/**
 * Checks a target url and every address its host resolves to now. Checked
 * when the webhook is created and again before each delivery (a name may
 * come to point elsewhere).
 */
export async function checkWebhookTarget(text: string, policy: WebhookTargetPolicy, field = 'target'): Promise<URL> {
  const url = parseWebhookTarget(text, field);
  const host = hostOf(url);
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true })).map((entry) => entry.address);
    } catch {
      throw new ValidationError(`target host ${host} does not resolve`, field);
    }
  }
  for (const address of addresses) {
    const refused = refusedAddress(address, policy);
    if (refused) throw new ValidationError(`target refused: ${refused}`, field);
  }
  return url;
}
