/** Conversations are comment threads; messages are their comments. */
export const CONVERSATION_TYPES = ['pm_checkin', 'security', 'blocker', 'user_question', 'run', 'gatherer', 'worktree'] as const;
export type ConversationType = (typeof CONVERSATION_TYPES)[number];
export type ConversationStatus = 'open' | 'resolved' | 'escalated';

export interface Conversation {
  id: string;
  ticketId: string;
  type: ConversationType;
  title: string;
  status: ConversationStatus;
  /** For threads on a file (security findings): the worktree-relative path and 1-based line. */
  file?: string | undefined;
  line?: number | undefined;
  /** What ties the thread to its source (a bug fingerprint, "pm"), so agents find it again. */
  key?: string | undefined;
  createdAt: number;
  updatedAt: number;
}

export type MessageKind = 'checkin' | 'note' | 'reply' | 'finding' | 'system' | 'progress';

export interface Message {
  id: string;
  conversationId: string;
  author: string;
  kind: MessageKind;
  body: string;
  metadata?: Record<string, unknown> | undefined;
  /** Addressed to the ticket's coding agent: `agent-factory inbox` hands it over once. */
  toAgent: boolean;
  /** When a run read it through its inbox, and which run. */
  readAt?: number | undefined;
  readBy?: string | undefined;
  createdAt: number;
}
