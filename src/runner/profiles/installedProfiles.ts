/**
 * Which built-in profiles' programs are installed: each looked up on the PATH and asked for its
 * version, all at once, for "Configure Agent…".
 */
import type { AgentProfile } from './profile';
import { BUILT_IN_PROFILES } from './profiles';
import { findProgram, programVersion } from './programLookup';

export interface InstalledProfile {
  profile: AgentProfile;
  /** Where the program was found; undefined when it is not on the PATH. */
  path?: string | undefined;
  /** What `--version` printed (first line), when it answered. */
  version?: string | undefined;
}

export function installedProfiles(env: NodeJS.ProcessEnv): Promise<InstalledProfile[]> {
  return Promise.all(
    Object.values(BUILT_IN_PROFILES).map(async (profile): Promise<InstalledProfile> => {
      const programEnv = { ...env, ...profile.env };
      const path = await findProgram(profile.program, programEnv);
      return { profile, path, version: path !== undefined ? await programVersion(path, programEnv) : undefined };
    }),
  );
}
