/** Every id the extension shares with package.json, in one place. */

export const enum Commands {
  CreateBoard = 'agentFactory.createBoard',
  HealStuckTickets = 'agentFactory.healStuckTickets',
  CreateTicket = 'agentFactory.createTicket',
  EditTicket = 'agentFactory.editTicket',
  MessageAgent = 'agentFactory.messageAgent',
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
  StopOrphan = 'agentFactory.stopOrphan',
  ConfigureAgent = 'agentFactory.configureAgent',
  OpenBoardFolder = 'agentFactory.openBoardFolder',
  ShowLog = 'agentFactory.showLog',
  StartAutopilot = 'agentFactory.startAutopilot',
  PauseAutopilot = 'agentFactory.pauseAutopilot',
  ReplyToThread = 'agentFactory.replyToThread',
  ResolveThread = 'agentFactory.resolveThread',
  ReopenThread = 'agentFactory.reopenThread',
  DismissFinding = 'agentFactory.dismissFinding',
  FocusAgents = 'agentFactory.agents.focus',
  ManageWorkspaceTrust = 'agentFactory.manageWorkspaceTrust',
  ReviewChanges = 'agentFactory.reviewChanges',
  OpenChange = 'agentFactory.openChange',
  AddReviewComment = 'agentFactory.addReviewComment',
  RequestChanges = 'agentFactory.requestChanges',
  ApproveTicket = 'agentFactory.approveTicket',
  LandTicket = 'agentFactory.landTicket',
  PushBranch = 'agentFactory.pushBranch',
  CreatePullRequest = 'agentFactory.createPullRequest',
}

export const enum Views {
  Container = 'agentFactory',
  Agents = 'agentFactory.agents',
  Tickets = 'agentFactory.tickets',
}

export const enum ContextKeys {
  /** True once a board is open in this window. */
  HasBoard = 'agentFactory.hasBoard',
  /** True once the workspace was searched and nothing of a board was found: Create Board is offered. */
  NoBoard = 'agentFactory.noBoard',
  /** True when a board was found but could not be opened (the log says why). */
  BoardFailed = 'agentFactory.boardFailed',
  /** True while the Tickets view is filtered. */
  TicketsFiltered = 'agentFactory.ticketsFiltered',
  /** True while the board's autopilot is on (whoever turned it on). */
  AutopilotOn = 'agentFactory.autopilotOn',
  /** True when the board's repository has a remote (Push Branch, Create Pull Request). */
  HasRemote = 'agentFactory.hasRemote',
}

export const STATUS_BAR_ID = 'agentFactory.status';
export const DOCUMENT_SCHEME = 'agent-factory';
/** A file as it was at a commit: the left side of Review Changes' diffs. */
export const BASE_SCHEME = 'agent-factory-base';
export const CONFIG_SECTION = 'agentFactory';
