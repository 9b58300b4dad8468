/**
 * Secrets out of gathered text: a TODO that quotes a token must not copy it into a ticket title.
 * The texts of the files read this cycle go through the secret rules at once, and everything a
 * rule matched, placeholder or not, is masked in the item before it is fingerprinted or written
 * anywhere (the items of unchanged files come masked from the cache).
 */
import { redactSecrets } from '../security/mask';
import { sharedMatchPool, type MatchPool } from '../security/matchPool';
import { normalizeText } from './fingerprint';
import { isCommentKind, type GatheredItem } from './item';

/** Where the secret rules run: the Security scan's threads, so secretlint never loads or runs on this thread. */
export type SecretFinder = Pick<MatchPool, 'secretValues'>;

export async function redactItemSecrets(items: GatheredItem[], finder: SecretFinder = sharedMatchPool): Promise<void> {
  const comments = items.filter((i) => isCommentKind(i.kind));
  if (comments.length === 0) return;
  // One text for the lot: one pass of the rules instead of one per item.
  const raws = await finder.secretValues('gathered-comments.txt', comments.map((i) => `${i.note ?? ''} ${i.text}`).join('\n'));
  if (raws.length === 0) return;
  for (const item of comments) {
    const text = redactSecrets(item.text, raws);
    const note = item.note === undefined ? undefined : redactSecrets(item.note, raws);
    if (text === item.text && note === item.note) continue;
    item.text = text;
    item.note = note;
    item.normText = normalizeText(note !== undefined ? `(${note}) ${text}` : text);
  }
}
