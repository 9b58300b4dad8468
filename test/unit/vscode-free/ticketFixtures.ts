import type { Ticket } from '../../../src/domain/ticket';

/** A ticket with every required field, for tests of pure rendering and grouping. */
export function ticket(overrides: Partial<Ticket> & Pick<Ticket, 'id'>): Ticket {
  const at = Date.UTC(2026, 0, 15, 9, 0, 0);
  return {
    title: `Title of ${overrides.id}`,
    description: '',
    acceptanceCriteria: [],
    priority: 3,
    type: 'feature',
    labels: [],
    source: 'user',
    status: 'BACKLOG',
    dependsOn: [],
    healCount: 0,
    createdAt: at,
    updatedAt: at,
    statusSince: at,
    ...overrides,
  };
}
