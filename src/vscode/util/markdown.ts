import * as vscode from 'vscode';

/**
 * Markdown built from untrusted text (ticket titles, agent output, file contents): not trusted,
 * no HTML, no theme icons, and every piece of user text escaped before it is appended.
 */
export function untrustedMarkdown(): vscode.MarkdownString {
  const md = new vscode.MarkdownString('', false);
  md.isTrusted = false;
  md.supportHtml = false;
  return md;
}

/** Escapes text so that it renders literally in markdown (no links, emphasis, fences, HTML). */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()<>#+\-.!|~&:]/g, (c) => `\\${c}`).replace(/\r?\n/g, '  \n');
}
