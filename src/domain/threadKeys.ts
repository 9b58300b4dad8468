/**
 * The keys of the two threads every ticket can have besides its findings: the PM thread (check-ins
 * and what agents report) and the run thread (how each attempt ended). The PM and the runner both
 * write to them, so the keys live below both.
 */
export const PM_THREAD_KEY = 'pm';
export const RUN_THREAD_KEY = 'runs';
