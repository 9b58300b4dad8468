/** Every id the extension shares with package.json, in one place. */

export const enum Commands {
  CreateBoard = 'agentFactory.createBoard',
  HealStuckTickets = 'agentFactory.healStuckTickets',
  CreateTicket = 'agentFactory.createTicket',
  OpenTicket = 'agentFactory.openTicket',
  StartTicket = 'agentFactory.startTicket',
  MoveTicket = 'agentFactory.moveTicket',
  BlockTicket = 'agentFactory.blockTicket',
  UnblockTicket = 'agentFactory.unblockTicket',
  DeleteTicket = 'agentFactory.deleteTicket',
  ShowCheckIns = 'agentFactory.showCheckIns',
  FilterTickets = 'agentFactory.filterTickets',
  ClearTicketFilter = 'agentFactory.clearTicketFilter',
  OpenWorktree = 'agentFactory.openWorktree',
  CleanUpWorktrees = 'agentFactory.cleanUpWorktrees',
  RestoreWorktree = 'agentFactory.restoreWorktree',
  DeleteSalvage = 'agentFactory.deleteSalvage',
  RunAgentNow = 'agentFactory.runAgentNow',
  PauseAgent = 'agentFactory.pauseAgent',
  ResumeAgent = 'agentFactory.resumeAgent',
  CancelRun = 'agentFactory.cancelRun',
  OpenBoardFolder = 'agentFactory.openBoardFolder',
  ShowLog = 'agentFactory.showLog',
  ReplyToThread = 'agentFactory.replyToThread',
  ResolveThread = 'agentFactory.resolveThread',
  ReopenThread = 'agentFactory.reopenThread',
  FocusAgents = 'agentFactory.agents.focus',
}

export const enum Views {
  Container = 'agentFactory',
  Agents = 'agentFactory.agents',
  Tickets = 'agentFactory.tickets',
}

export const enum ContextKeys {
  /** True once a board is open in this window. */
  HasBoard = 'agentFactory.hasBoard',
  /** True while the Tickets view is filtered. */
  TicketsFiltered = 'agentFactory.ticketsFiltered',
}

export const STATUS_BAR_ID = 'agentFactory.status';
export const DOCUMENT_SCHEME = 'agent-factory';
export const CONFIG_SECTION = 'agentFactory';
