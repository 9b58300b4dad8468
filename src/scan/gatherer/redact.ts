/**
 * Secrets out of gathered text: a TODO that quotes a token must not copy it into a ticket title.
 * All comment texts of a cycle go through the secret rules at once, and everything a rule matched,
 * placeholder or not, is masked in the item before it is fingerprinted or written anywhere.
 */
import { redactSecrets } from '../security/mask';
import { findSecrets } from '../security/secrets';
import { normalizeText } from './fingerprint';
import { isCommentKind, type GatheredItem } from './item';

export async function redactItemSecrets(items: GatheredItem[]): Promise<void> {
  const comments = items.filter((i) => isCommentKind(i.kind));
  if (comments.length === 0) return;
  // One text for the lot: one pass of the rules instead of one per item.
  const hits = await findSecrets('gathered-comments.txt', comments.map((i) => `${i.note ?? ''} ${i.text}`).join('\n'));
  if (hits.length === 0) return;
  const raws = hits.map((h) => h.raw);
  for (const item of comments) {
    const text = redactSecrets(item.text, raws);
    const note = item.note === undefined ? undefined : redactSecrets(item.note, raws);
    if (text === item.text && note === item.note) continue;
    item.text = text;
    item.note = note;
    item.normText = normalizeText(note !== undefined ? `(${note}) ${text}` : text);
  }
}
