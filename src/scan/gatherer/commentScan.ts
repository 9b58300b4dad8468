/** Comment tags in the main checkout, as fingerprinted items. */
import { createTagParser } from './commentTags';
import { assignFingerprints, normalizeText } from './fingerprint';
import { gitGrepTags, type GrepHit } from './gitGrep';
import { rankOfTag, type GatheredItem } from './item';

export async function scanCommentTags(repoRoot: string, tags: readonly string[], signal?: AbortSignal): Promise<GatheredItem[]> {
  return itemsFromHits(await gitGrepTags(repoRoot, tags, signal), tags);
}

/**
 * Keeps the hits whose tag sits in a comment and has something to say: a bare `// TODO` or a
 * Markdown heading "## TODO" gives nobody a ticket they could act on.
 */
export function itemsFromHits(hits: readonly GrepHit[], tags: readonly string[]): GatheredItem[] {
  const parser = createTagParser(tags);
  const items: GatheredItem[] = [];
  for (const hit of hits) {
    const parsed = parser.parse(hit.content);
    if (!parsed || parsed.text === '') continue;
    items.push({
      kind: parsed.tag.toLowerCase(),
      tag: parsed.tag,
      file: hit.file,
      line: hit.line,
      text: parsed.text,
      normText: normalizeText(parsed.text),
      occurrence: 0,
      fingerprint: '',
      owner: parsed.owner,
      rank: rankOfTag(parsed.tag),
    });
  }
  return assignFingerprints(items);
}
